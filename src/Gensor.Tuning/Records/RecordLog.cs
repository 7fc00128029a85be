using Gensor.Etir;
using Microsoft.Extensions.Logging;

namespace Gensor.Tuning.Records;

/// <summary>
/// A records file in use by a tuning run: what it held when opened, plus every
/// record appended since. Tuning through it reuses what is known and appends
/// each new measurement as it happens.
/// </summary>
public sealed class RecordLog
{
    private readonly RecordWriter _writer;

    /// <summary>What this run appended: what <c>--force</c> still reuses, so a kernel two policies build is measured once.</summary>
    private readonly RecordSet _appended = new([]);

    private RecordLog(string path, RecordSet records)
    {
        _writer = new RecordWriter(path);
        Records = records;
    }

    public RecordSet Records { get; }

    /// <summary>
    /// Opens <paramref name="path"/> (it need not exist yet), reading what it holds. Records made by
    /// other builds are not reused (<see cref="RecordSet.Known"/>): one warning says how many.
    /// </summary>
    /// <exception cref="Gensor.Diagnostics.GensorException">BadInput: the path cannot take records (see <see cref="RecordFile"/>).</exception>
    public static RecordLog Open(string path, ILogger logger)
    {
        var records = new RecordSet(RecordReader.Parse(RecordFile.ReadForAppend(path, "--records"), path, logger));
        if (records.OtherBuilds() is { Count: > 0 } others)
        {
            logger.LogWarning("{Path}: {Count} records were made by other builds of gensor ({Builds}), whose kernels may differ from this build's: their candidates are measured again (the records stay in the file)",
                path, others.Sum(o => o.Count), string.Join(", ", others.Take(3).Select(o => $"{o.Version}: {o.Count}")) + (others.Count > 3 ? ", ..." : ""));
        }
        return new(path, records);
    }

    /// <summary>
    /// Tunes with <paramref name="tuner"/>: candidates recorded for this
    /// operator on this device are not measured again (with
    /// <paramref name="force"/>, only those measured since the log was opened),
    /// and every candidate measured is appended right away. A log of null tunes
    /// without records.
    /// </summary>
    public static TuneReport Tune(Tuner tuner, TuneRequest request, RecordLog? log, bool force)
    {
        if (log is null)
        {
            return tuner.Tune(request);
        }
        var form = CanonicalForm.Of(request.Operator);
        var known = (force ? log._appended : log.Records).Known(form, tuner.DeviceName);
        var policy = request.FixedSchedule is null ? request.Policy.Name : "fixed";
        return tuner.Tune(request with { Known = known }, result =>
            log.Append(TuningRecord.Of(form, request.Operator.Name, tuner.DeviceName, request.Target.Name, policy, result)));
    }

    public void Append(TuningRecord record)
    {
        _writer.Append(record);
        Records.Add(record);
        _appended.Add(record);
    }
}
