using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.FrontEnd;
using Microsoft.Extensions.Logging;

namespace Gensor.Tuning.Isolation;

/// <summary>
/// Measures in a worker process (<c>gensor measure-worker</c>), so that a
/// kernel that faults the device, crashes the runtime or hangs costs one
/// candidate, not the tuning run: the candidate is recorded as failed, the
/// worker is stopped, and a fresh worker takes the remaining candidates.
/// </summary>
/// <param name="command">How to start a worker.</param>
/// <param name="device">The device the worker opens.</param>
/// <param name="candidateTimeout">How long one candidate may take (verification and timing) before it counts as hung.</param>
/// <param name="logger">Where restarts are reported.</param>
public sealed class IsolatedMeasurer(WorkerCommand command, DeviceKind device, TimeSpan candidateTimeout, ILogger logger) : ICandidateMeasurer
{
    /// <summary>How long a worker may take to start, compile every kernel and evaluate the reference.</summary>
    public static TimeSpan CompileTimeout { get; } = TimeSpan.FromMinutes(10);

    public double MeasureAll(Operator op, IReadOnlyList<Schedule> schedules, int seed, Action<int, Measurement> onResult)
    {
        var spec = OperatorSpecWriter.ToJson(OperatorSpecWriter.ToSpec(op));
        var compileMs = 0.0;
        var next = 0;
        var startFailures = 0;
        while (next < schedules.Count)
        {
            var offset = next;
            using var worker = WorkerProcess.Start(command);
            worker.Send(WorkerProtocol.Job(spec, seed, device, schedules.Skip(offset).Select(s => s.ToString())));
            var ready = WorkerProtocol.Parse(worker.ReadLine(CompileTimeout) ?? "");
            if (ready?["ready"] is null)
            {
                var why = worker.Failure(CompileTimeout);
                // A worker killed from outside before it was ready (an OOM kill) says nothing of the candidates,
                // whose failures the records would keep: one more worker tries. One that fails twice cannot
                // start or compile, and no further retry would help.
                if (++startFailures < 2)
                {
                    logger.LogWarning("{Op}: the worker stopped before it was ready ({Why}); starting another", op.Name, why);
                    continue;
                }
                for (var i = offset; i < schedules.Count; i++)
                {
                    onResult(i, Measurement.Failed(why));
                }
                return compileMs;
            }
            compileMs += (double?)ready["compile_ms"] ?? 0;
            while (next < schedules.Count)
            {
                var line = worker.ReadLine(candidateTimeout);
                var result = line is null ? null : WorkerProtocol.Parse(line);
                if (result?["index"] is null)
                {
                    var why = worker.Failure(candidateTimeout);
                    logger.LogWarning("{Op}: candidate {Schedule} failed: {Why}; starting a new worker for the rest", op.Name, schedules[next], why);
                    onResult(next, Measurement.Failed(why));
                    next++;
                    break;
                }
                var index = offset + (int)result["index"]!;
                onResult(index, WorkerProtocol.ReadResult(result));
                next = index + 1;
            }
        }
        return compileMs;
    }
}
