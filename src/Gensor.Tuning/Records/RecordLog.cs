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

    private RecordLog(string path, RecordSet records)
    {
        _writer = new RecordWriter(path);
        Records = records;
    }

    public RecordSet Records { get; }

    /// <summary>Opens <paramref name="path"/> (it need not exist yet), reading what it holds.</summary>
    /// <exception cref="Gensor.Diagnostics.GensorException">BadInput: the path cannot take records (see <see cref="RecordFile"/>).</exception>
    public static RecordLog Open(string path, ILogger logger) =>
        new(path, new RecordSet(RecordReader.Parse(RecordFile.ReadForAppend(path, "--records"), path, logger)));

    /// <summary>
    /// Tunes with <paramref name="tuner"/>: candidates recorded for this
    /// operator on this device are not measured again (unless
    /// <paramref name="force"/>), and every candidate measured is appended
    /// right away. A log of null tunes without records.
    /// </summary>
    public static TuneReport Tune(Tuner tuner, TuneRequest request, RecordLog? log, bool force)
    {
        if (log is null)
        {
            return tuner.Tune(request);
        }
        var form = CanonicalForm.Of(request.Operator);
        var known = force ? null : log.Records.Known(form, tuner.DeviceName);
        var policy = request.FixedSchedule is null ? request.Policy.Name : "fixed";
        return tuner.Tune(request with { Known = known }, result =>
            log.Append(TuningRecord.Of(form, request.Operator.Name, tuner.DeviceName, request.Target.Name, policy, result)));
    }

    public void Append(TuningRecord record)
    {
        _writer.Append(record);
        Records.Add(record);
    }
}
