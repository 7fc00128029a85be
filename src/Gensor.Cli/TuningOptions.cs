using System.CommandLine;
using Gensor.Backend.Runtime;
using Gensor.Construction.Policies;
using Gensor.Hardware;
using Gensor.Tuning;
using Gensor.Tuning.Records;
using Microsoft.Extensions.Logging;

namespace Gensor.Cli;

/// <summary>
/// The options <c>tune</c> and <c>batch</c> share (device, policy, target,
/// top-k, seed, records, isolation), declared once, checked before any work,
/// and turned into an open <see cref="TuningSession"/>.
/// </summary>
internal sealed class TuningOptions
{
    private readonly Option<string> _device = CommonOptions.Device();
    private readonly Option<int> _seed = CommonOptions.Seed();
    private readonly Option<string?> _target = CommonOptions.Target();
    private readonly Option<string> _policy = CommonOptions.Policy();
    private readonly Option<int?> _topK = CommonOptions.MeasuredTopK();
    private readonly Option<string?> _records = CommonOptions.Records();
    private readonly Option<bool> _force = CommonOptions.Force();
    private readonly Option<string> _isolate = CommonOptions.Isolate();
    private readonly Option<int> _candidateTimeout = CommonOptions.CandidateTimeout();
    private readonly Option<string?> _memoryLimit = CommonOptions.MemoryLimit();
    private readonly Option<string> _compilerCheck = CommonOptions.CompilerCheck();
    private readonly Option<bool> _allowTf32 = CommonOptions.AllowTf32();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _device, _seed, _target, _policy, _topK, _records, _force, _isolate, _candidateTimeout, _memoryLimit, _compilerCheck, _allowTf32 })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Every value checked, so that bad input fails before a device is opened or a file written.</summary>
    public TuningSettings Read(ParseResult parse)
    {
        var isolate = parse.GetValue(_isolate)!;
        var timeout = parse.GetValue(_candidateTimeout);
        Measurers.Validate(isolate, timeout);
        var records = parse.GetValue(_records);
        if (records is not null)
        {
            RecordFile.CheckPath(records, "--records");
        }
        var memoryLimit = parse.GetValue(_memoryLimit) is { } limit ? MemoryEstimate.ParseSize(limit, "--memory-limit") : MemoryEstimate.DefaultLimitBytes;
        var allowTf32 = parse.GetValue(_allowTf32);
        return new TuningSettings(
            CommonOptions.ParseDevice(parse.GetValue(_device)!),
            PolicyCatalog.Get(parse.GetValue(_policy)!, allowTf32),
            parse.GetValue(_target) is { } target ? ProfileCatalog.Get(target) : null,
            parse.GetValue(_topK) is { } topK ? CommonOptions.ParseTopK(topK) : null,
            parse.GetValue(_seed),
            records,
            parse.GetValue(_force),
            isolate,
            timeout,
            memoryLimit,
            CompilerChecks.Validate(parse.GetValue(_compilerCheck)!),
            allowTf32);
    }
}

/// <summary>
/// The checked values of <see cref="TuningOptions"/>; <see cref="Target"/> is null for the device's own profile,
/// <see cref="TopK"/> null for the device's default (<see cref="TuningSession.TopK"/>).
/// </summary>
internal sealed record TuningSettings(
    DeviceKind Device,
    ISchedulePolicy Policy,
    HardwareProfile? Target,
    int? TopK,
    int Seed,
    string? Records,
    bool Force,
    string Isolate,
    int CandidateTimeoutSeconds,
    long MemoryLimitBytes,
    string CompilerCheck,
    bool AllowTf32)
{
    public TuningSession Open(CliContext cli) => new(this, cli);
}

/// <summary>An opened device with its profile, the logger, the records file and the tuner.</summary>
internal sealed class TuningSession : IDisposable
{
    private readonly ILoggerFactory _logs;

    public TuningSession(TuningSettings settings, CliContext cli)
    {
        Device = KernelDevice.Open(settings.Device);
        try
        {
            DeviceProfile = DeviceProfiles.Of(Device);
            Target = settings.Target ?? DeviceProfile;
            TopK = CommonOptions.MeasuredTopK(settings.TopK, Device.Simulated);
            _logs = cli.CreateLoggerFactory();
            Logger = _logs.CreateLogger("gensor");
            Records = settings.Records is { } path ? RecordLog.Open(path, Logger) : null;
            if (settings.Force && Records is null)
            {
                // Not an error (a script may pass it always), but it did nothing: say so (found by fuzzing).
                cli.Error.WriteLine("warning: --force has no effect without --records: nothing recorded is skipped anyway");
            }
            var measurer = Measurers.Choose(settings.Isolate, settings.CandidateTimeoutSeconds, Device, Logger);
            Tuner = new Tuner(Device, Logger, measurer);
            Compiler = CompilerChecks.For(settings.CompilerCheck, Target, Logger);
        }
        catch
        {
            Device.Dispose();
            throw;
        }
    }

    public KernelDevice Device { get; }

    public HardwareProfile DeviceProfile { get; }

    /// <summary>The profile construction targets: the one asked for, else the device's.</summary>
    public HardwareProfile Target { get; }

    /// <summary>Candidates to measure per operator: <c>--top-k</c>, else the device's default.</summary>
    public int TopK { get; }

    public ILogger Logger { get; }

    public RecordLog? Records { get; }

    public Tuner Tuner { get; }

    /// <summary>The compiler construction asks about its leading candidates, or null (<c>--compiler-check</c>).</summary>
    public Gensor.Feedback.ICompilerFeedback? Compiler { get; }

    public void Dispose()
    {
        _logs.Dispose();
        Device.Dispose();
    }
}
