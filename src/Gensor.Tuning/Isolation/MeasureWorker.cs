using System.Text.Json;
using System.Text.Json.Nodes;
using Gensor.Backend.Runtime;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.FrontEnd;

namespace Gensor.Tuning.Isolation;

/// <summary>
/// The worker side of <see cref="IsolatedMeasurer"/>: reads one job line,
/// compiles the kernels, answers "ready", then one result line per schedule.
/// A job it cannot read is bad input (one error line, exit 2), like any other.
/// </summary>
public static class MeasureWorker
{
    public static int Run(TextReader input, TextWriter output)
    {
        var (op, schedules, seed, kind) = ReadJob(input.ReadLine());
        using var device = KernelDevice.Open(kind);
        var measurer = new InProcessMeasurer(device, compileMs => Send(output, WorkerProtocol.Ready(compileMs)));
        measurer.MeasureAll(op, schedules, seed, (index, measurement) => Send(output, WorkerProtocol.Result(index, measurement)));
        return 0;
    }

    /// <summary>The job line as <see cref="WorkerProtocol.Job"/> writes it.</summary>
    /// <exception cref="GensorException">BadInput naming what is wrong with it.</exception>
    public static (Operator Op, Schedule[] Schedules, int Seed, DeviceKind Device) ReadJob(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            throw Bad("no job on standard input");
        }
        JsonObject job;
        try
        {
            job = JsonNode.Parse(line) as JsonObject ?? throw Bad("the job is not a JSON object");
        }
        catch (JsonException exception)
        {
            throw Bad($"the job is not JSON: {exception.Message}");
        }
        var spec = job["spec"] as JsonObject ?? throw Bad("the job has no 'spec' object");
        var op = OperatorBuilder.Build(SpecReader.Read(spec.ToJsonString(), "(job)")[0]);
        var schedules = (job["schedules"] as JsonArray ?? throw Bad("the job has no 'schedules' array"))
            .Select(node => node is JsonValue value && value.GetValueKind() == JsonValueKind.String
                ? ParseSchedule(value.GetValue<string>())
                : throw Bad("a schedule is not a string"))
            .ToArray();
        var seed = job["seed"] is JsonValue s && s.GetValueKind() == JsonValueKind.Number && s.TryGetValue<int>(out var number)
            ? number
            : throw Bad("the job's 'seed' is not an integer");
        var device = job["device"] is JsonValue d && d.GetValueKind() == JsonValueKind.String
            && Enum.TryParse<DeviceKind>(d.GetValue<string>(), ignoreCase: true, out var kind) && Enum.IsDefined(kind)
            ? kind
            : throw Bad("the job's 'device' is not auto, cuda, opencl or cpu");
        return (op, schedules, seed, device);
    }

    private static Schedule ParseSchedule(string text)
    {
        try
        {
            return Schedule.Parse(text);
        }
        catch (FormatException exception)
        {
            throw Bad($"schedule '{text}': {exception.Message}");
        }
    }

    private static GensorException Bad(string message) => GensorException.BadInput($"measure-worker: {message}");

    private static void Send(TextWriter output, string line)
    {
        output.WriteLine(line);
        output.Flush();
    }
}
