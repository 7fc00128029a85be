using Gensor.Construction.Policies;
using Gensor.Diagnostics;
using Gensor.Tuning.Records;
using Microsoft.Extensions.Logging;

namespace Gensor.Tuning.Batch;

/// <summary>
/// Tunes every operator of a plan, one after another. Operators with the same
/// canonical form are tuned once; an operator that fails is reported and the
/// batch goes on (the environment failing, as a records file that cannot be
/// written, ends it). With a records log, every measured candidate is appended as
/// it happens and what is recorded is not measured again, so a killed batch
/// resumes where it stopped.
/// </summary>
public sealed class BatchRunner(Tuner tuner, RecordLog? log, BatchOptions options, ILogger logger)
{
    private static readonly string[] _baselines = ["naive", "roller"];

    /// <summary>
    /// Tunes the plan's operators in order. <paramref name="onResult"/> hears
    /// each result as it is known, so a caller can summarize what is done if
    /// the batch is stopped early.
    /// </summary>
    public BatchSummary Run(BatchPlan plan, IBatchProgress? progress = null, Action<BatchResult>? onResult = null)
    {
        var results = new List<BatchResult>();
        var tuned = new Dictionary<string, BatchResult>(StringComparer.Ordinal);
        var total = plan.Entries.Count;
        for (var i = 0; i < total; i++)
        {
            var entry = plan.Entries[i];
            BatchResult result;
            if (entry.Operator is null || entry.Form is null)
            {
                result = new BatchResult(entry, [], null, entry.Error);
            }
            else if (tuned.TryGetValue(entry.Form.Hash, out var earlier))
            {
                result = earlier with { Entry = entry, SameAs = earlier.SameAs ?? earlier.Entry.Name, Measured = 0, FromRecords = 0 };
            }
            else
            {
                result = Tune(entry, i + 1, total, progress);
                tuned[entry.Form.Hash] = result;
            }
            results.Add(result);
            onResult?.Invoke(result);
            progress?.Finished(i + 1, total, result);
        }
        return new BatchSummary(plan.Suite, options.Policy.Name, tuner.DeviceName, results) { Shard = plan.Shard, SuiteSize = plan.SuiteSize, Planned = total };
    }

    private BatchResult Tune(BatchEntry entry, int number, int total, IBatchProgress? progress)
    {
        var op = entry.Operator!;
        TuneReport report;
        try
        {
            progress?.Started(number, total, entry.Name, options.Policy.Name);
            report = TuneWith(op, options.Policy);
        }
        catch (Exception exception) when (IsOperatorsOwn(exception))
        {
            // One operator's failure (a bad fixed schedule, a fault in the runtime) must not end the batch.
            var message = exception is GensorException g ? g.Error.Message : $"{exception.GetType().Name}: {exception.Message.Split('\n')[0]}";
            logger.LogWarning("{Op}: tuning failed: {Message}", entry.Name, message);
            return new BatchResult(entry, [], null, message);
        }
        var reports = new List<TuneReport> { report };
        if (options.Baselines)
        {
            foreach (var name in _baselines.Where(name => name != options.Policy.Name))
            {
                progress?.Started(number, total, entry.Name, name);
                if (TryBaseline(entry, name) is { } baseline)
                {
                    reports.Add(baseline);
                }
            }
        }
        var candidates = reports.SelectMany(r => r.Candidates).ToArray();
        var error = reports.All(r => r.Best is null) ? $"no candidate verified ({TuneReport.Tried(candidates)})" : null;
        return new BatchResult(entry, reports, null, error, candidates.Count(c => !c.FromRecords), candidates.Count(c => c.FromRecords));
    }

    private TuneReport? TryBaseline(BatchEntry entry, string policy)
    {
        try
        {
            return TuneWith(entry.Operator!, PolicyCatalog.Get(policy));
        }
        catch (Exception exception) when (IsOperatorsOwn(exception))
        {
            // A baseline is context for the speedup, not the result: its failure leaves the speedup blank.
            logger.LogWarning("{Op}: baseline {Policy} failed: {Message}", entry.Name, policy, exception.Message.Split('\n')[0]);
            return null;
        }
    }

    /// <summary>
    /// Whether a failure is the operator's own, which the batch reports and goes past. The environment failing (an
    /// Internal <see cref="GensorException"/>: a records file full or held too long) ends the batch: every later
    /// operator would be measured, then fail the same way, for hours in a large suite (probed on a full tmpfs).
    /// </summary>
    private static bool IsOperatorsOwn(Exception exception) => exception is not GensorException { Error.Kind: ErrorKind.Internal };

    private TuneReport TuneWith(Gensor.Etir.Operator op, ISchedulePolicy policy) =>
        RecordLog.Tune(tuner, new TuneRequest(op, policy, options.Target, options.DeviceProfile, options.TopK, options.Seed, Compiler: options.Compiler), log, options.Force);
}
