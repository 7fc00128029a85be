using System.Diagnostics;
using Gensor.Backend.Compilation;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Construction;
using Gensor.Construction.Policies;
using Gensor.Diagnostics;
using Gensor.Etir;
using Microsoft.Extensions.Logging;

namespace Gensor.Tuning;

/// <summary>
/// The tuning pipeline for one operator: construct candidates with a policy,
/// lower and compile the top-k, verify each against the reference, time the
/// verified ones, keep the fastest.
/// </summary>
public sealed class Tuner(KernelDevice device, ILogger logger)
{
    /// <summary>Tunes <paramref name="request"/>. A report with no best means nothing verified.</summary>
    /// <exception cref="GensorException">A fixed schedule does not fit the operator (bad input).</exception>
    public TuneReport Tune(TuneRequest request)
    {
        var op = request.Operator;
        var clock = Stopwatch.StartNew();
        var (candidates, statesVisited) = Construct(request);
        var constructMs = clock.Elapsed.TotalMilliseconds;
        logger.LogInformation("{Op}: {Count} candidates from {Policy} in {Ms:F1} ms", op.Name, candidates.Count, request.Policy.Name, constructMs);

        clock.Restart();
        var runnable = new List<(RankedSchedule Candidate, KernelSource Source)>();
        var results = new List<CandidateResult>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var candidate = candidates[i];
            var reason = Legality.Check(op, candidate.Schedule, request.DeviceProfile);
            if (reason is not null)
            {
                results.Add(new CandidateResult(candidate.Schedule, Estimate(candidate), Measurement.Failed($"cannot run on {device.Description}: {reason}")));
                continue;
            }
            runnable.Add((candidate, CSharpKernelGenerator.Generate(new EtirState(op, candidate.Schedule), ClassName(op, i))));
        }
        var compiled = RoslynKernelCompiler.Compile(runnable.Select(r => r.Source).ToArray());
        var compileMs = clock.Elapsed.TotalMilliseconds;
        logger.LogInformation("{Op}: compiled {Count} kernels in {Ms:F0} ms", op.Name, compiled.Count, compileMs);

        clock.Restart();
        var options = device.Simulated ? MeasureOptions.Simulated : new MeasureOptions();
        using (var runner = new KernelRunner(device, op, request.Seed))
        {
            for (var i = 0; i < runnable.Count; i++)
            {
                var measurement = runner.Run(compiled[i], options);
                compileMs += measurement.LoadMs;
                var result = new CandidateResult(runnable[i].Candidate.Schedule, Estimate(runnable[i].Candidate), measurement);
                results.Add(result);
                logger.LogInformation("{Op}: [{Index}/{Count}] {Schedule}: {Outcome}", op.Name, i + 1, runnable.Count, result.Schedule,
                    measurement.Verified ? $"{measurement.MedianMs:F4} ms, verified" : measurement.Error);
            }
        }
        var measureMs = clock.Elapsed.TotalMilliseconds - results.Sum(r => r.Measurement.LoadMs);

        var best = results.Where(r => r.Verified).MinBy(r => r.MeasuredMs);
        var bestSource = best is null ? null : runnable.First(r => r.Candidate.Schedule == best.Schedule).Source;
        return new TuneReport(op, device.Description, device.Simulated, request.FixedSchedule is null ? request.Policy.Name : "fixed",
            request.Target.Name, statesVisited, results, best, bestSource, new TuneTimings(constructMs, compileMs, measureMs));
    }

    private static double? Estimate(RankedSchedule candidate) => double.IsNaN(candidate.EstimatedMs) ? null : candidate.EstimatedMs;

    private static (IReadOnlyList<RankedSchedule> Candidates, int StatesVisited) Construct(TuneRequest request)
    {
        if (request.FixedSchedule is { } schedule)
        {
            var reason = Legality.Check(request.Operator, schedule, request.Target);
            if (reason is not null)
            {
                throw GensorException.BadInput($"--schedule '{schedule}': {reason}");
            }
            return ([new RankedSchedule(schedule, double.NaN)], 1);
        }
        var construction = request.Policy.Construct(request.Operator, request.Target, new ConstructionOptions(request.TopK, request.Seed));
        return (construction.Candidates.Take(request.TopK).ToArray(), construction.StatesVisited);
    }

    /// <summary>A C# class name for candidate <paramref name="index"/>: the operator's name, sanitized.</summary>
    public static string ClassName(Operator op, int index)
    {
        var name = new string(op.Name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        if (name.Length == 0 || !char.IsAsciiLetter(name[0]))
        {
            name = "Op" + name;
        }
        return $"{char.ToUpperInvariant(name[0])}{name[1..]}Kernel{index}";
    }
}
