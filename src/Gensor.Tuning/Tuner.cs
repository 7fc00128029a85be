using System.Diagnostics;
using Gensor.Backend.Runtime;
using Gensor.Construction;
using Gensor.Construction.Policies;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.Reference;
using Gensor.Tuning.Isolation;
using Gensor.Tuning.Reports;
using Microsoft.Extensions.Logging;

namespace Gensor.Tuning;

/// <summary>
/// The tuning pipeline for one operator: construct candidates with a policy,
/// lower and compile the top-k, verify each against the reference, time the
/// verified ones, keep the fastest.
/// </summary>
/// <param name="device">The device kernels run on.</param>
/// <param name="logger">Where progress goes.</param>
/// <param name="measurer">How candidates are measured: in this process (the default) or in a worker process.</param>
public sealed class Tuner(KernelDevice device, ILogger logger, ICandidateMeasurer? measurer = null)
{
    /// <summary>The device kernels run on, as records name it.</summary>
    public string DeviceName => device.Description;

    /// <summary>
    /// Tunes <paramref name="request"/>. A report with no best means nothing verified.
    /// Candidates found in <see cref="TuneRequest.Known"/> are not run again;
    /// <paramref name="onMeasured"/> is called right after each candidate that
    /// is measured (or found unable to run), so a caller can record results one
    /// by one and a killed run loses at most the candidate in flight.
    /// </summary>
    /// <exception cref="GensorException">A fixed schedule does not fit the operator (bad input).</exception>
    public TuneReport Tune(TuneRequest request, Action<CandidateResult>? onMeasured = null)
    {
        var op = request.Operator;
        var clock = Stopwatch.StartNew();
        var construction = KernelService.Construct(request);
        var (candidates, statesVisited) = (construction.Candidates, construction.StatesVisited);
        // The compiler check is reported on its own; construction's time is the policy's alone.
        var checkMs = construction.Check?.Milliseconds ?? 0;
        var constructMs = clock.Elapsed.TotalMilliseconds - checkMs;
        if (construction.Check is { } check)
        {
            logger.LogInformation("{Op}: {Compiled} of {Count} leading candidates compiled by {Tool} in {Ms:F0} ms, {Dropped} dropped for spilling",
                op.Name, check.Compiled, check.Kernels.Count, check.Tool ?? "no tool", check.Milliseconds, check.Dropped);
        }
        logger.LogInformation("{Op}: {Count} candidates from {Policy} in {Ms:F1} ms", op.Name, candidates.Count, request.Policy.Name, constructMs);

        clock.Restart();
        // Results stay in construction order whether they were known, refused or measured.
        var results = new CandidateResult?[candidates.Count];
        var runnable = new List<(int Index, RankedSchedule Candidate)>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var candidate = candidates[i];
            if (request.Known is { } known && known.TryGetValue(candidate.Schedule, out var recorded))
            {
                results[i] = recorded with { EstimatedMs = Estimate(candidate) ?? recorded.EstimatedMs, FromRecords = true, Compiled = candidate.Compiled ?? recorded.Compiled };
                continue;
            }
            var reason = Legality.Check(op, candidate.Schedule, request.DeviceProfile);
            if (reason is not null)
            {
                results[i] = new CandidateResult(candidate.Schedule, Estimate(candidate), Measurement.Failed($"cannot run on {device.Description}: {reason}")) { Compiled = candidate.Compiled };
                onMeasured?.Invoke(results[i]!);
                continue;
            }
            runnable.Add((i, candidate));
        }
        // The reference is evaluated before the first candidate: at GPU sizes it is the long wait (a 2048^3
        // product is 8.6e9 terms), so the line says how much of it there is.
        logger.LogInformation("{Op}: measuring {Count} candidates ({Known} known from records) after the reference, {Terms:0.#e0} terms",
            op.Name, runnable.Count, results.Count(r => r is not null && r.FromRecords), (double)op.IterationPoints);
        // A second evaluation on integer inputs where they prove more (InputGenerator.IntegerMagnitude).
        var evaluations = InputGenerator.IntegerMagnitude(op) is null ? 1 : 2;
        var referenceTime = ReferenceEvaluator.EstimatedTime(op, Environment.ProcessorCount) * evaluations;
        if (runnable.Count > 0 && referenceTime > LongReference)
        {
            // Without -v nothing else is printed until the reference is done: say what the wait is.
            logger.LogWarning("{Op}: the reference evaluation, before any candidate runs, is {Terms:0.#e0} terms in double precision for each of {Evaluations} sets of inputs: about {Time} on this machine's {Cores} cores",
                op.Name, (double)op.IterationPoints, evaluations, Duration(referenceTime), Environment.ProcessorCount);
        }

        var loadMs = 0.0;
        var roslynMs = (measurer ?? new InProcessMeasurer(device)).MeasureAll(
            op, runnable.Select(r => r.Candidate.Schedule).ToArray(), request.Seed, (i, measurement) =>
            {
                loadMs += measurement.LoadMs;
                var result = new CandidateResult(runnable[i].Candidate.Schedule, Estimate(runnable[i].Candidate), measurement) { Compiled = runnable[i].Candidate.Compiled };
                results[runnable[i].Index] = result;
                onMeasured?.Invoke(result);
                logger.LogInformation("{Op}: [{Index}/{Count}] {Schedule}: {Outcome}", op.Name, i + 1, runnable.Count, result.Schedule,
                    measurement.Verified ? $"{measurement.MedianMs:F4} ms, verified" : measurement.Error);
            });
        var compileMs = roslynMs + loadMs;
        var measureMs = Math.Max(0, clock.Elapsed.TotalMilliseconds - compileMs);

        var all = results.Select(r => r!).ToArray();
        var best = all.Where(r => r.Verified).MinBy(r => r.MeasuredMs);
        // Lowering is deterministic, class name included: this is the text the measurer compiled, and what --out writes.
        var bestSource = best is null ? null : KernelService.Lower(op, best.Schedule);
        return new TuneReport(op, device.Description, device.Simulated, request.FixedSchedule is null ? request.Policy.Name : "fixed",
            request.Target.Name, statesVisited, all, best, bestSource, new TuneTimings(constructMs, compileMs, measureMs))
        {
            BestPerformance = best?.MeasuredMs is { } ms ? Performance.Of(op, ms, request.DeviceProfile) : null,
            CompilerCheck = construction.Check,
        };
    }

    /// <summary>A reference evaluation estimated longer than this is announced at the default verbosity.</summary>
    public static readonly TimeSpan LongReference = TimeSpan.FromMinutes(1);

    private static string Duration(TimeSpan time) =>
        time.TotalDays >= 2 ? $"{time.TotalDays:0} days"
        : time.TotalHours >= 2 ? $"{time.TotalHours:0} hours"
        : $"{Math.Max(1, time.TotalMinutes):0} minutes";

    private static double? Estimate(RankedSchedule candidate) => double.IsNaN(candidate.EstimatedMs) ? null : candidate.EstimatedMs;
}
