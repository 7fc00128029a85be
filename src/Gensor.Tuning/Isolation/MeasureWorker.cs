using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.FrontEnd;

namespace Gensor.Tuning.Isolation;

/// <summary>
/// The worker side of <see cref="IsolatedMeasurer"/>: reads one job line,
/// compiles the kernels, answers "ready", then one result line per schedule.
/// </summary>
public static class MeasureWorker
{
    public static int Run(TextReader input, TextWriter output)
    {
        var job = JsonNode.Parse(input.ReadLine() ?? throw new InvalidDataException("no job on standard input"))
            ?? throw new InvalidDataException("the job is not JSON");
        var op = OperatorBuilder.Build(SpecReader.Read(job["spec"]!.ToJsonString(), "(job)")[0]);
        var schedules = job["schedules"]!.AsArray().Select(s => Schedule.Parse((string)s!)).ToArray();
        var kind = Enum.Parse<DeviceKind>((string)job["device"]!, ignoreCase: true);
        using var device = KernelDevice.Open(kind);
        var measurer = new InProcessMeasurer(device, compileMs => Send(output, WorkerProtocol.Ready(compileMs)));
        measurer.MeasureAll(op, schedules, (int)job["seed"]!, (index, measurement) => Send(output, WorkerProtocol.Result(index, measurement)));
        return 0;
    }

    private static void Send(TextWriter output, string line)
    {
        output.WriteLine(line);
        output.Flush();
    }
}
