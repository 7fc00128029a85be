using Gensor.Hardware;

namespace Gensor.Tuning.Calibration;

/// <summary>
/// A profile constant that calibration may fit: its name in profile files, how
/// to read and set it, and the range it is searched in. Ranges are wide (three
/// decades either way of the base value, efficiencies at most 1) because the
/// fit happens in log space and a simulator's constants are far from a GPU's.
/// </summary>
/// <param name="Name">The profile file's key, e.g. <c>barrier_ns</c>.</param>
/// <param name="Get">The value in a profile.</param>
/// <param name="Set">The profile with the value changed.</param>
/// <param name="Max">An absolute upper bound (1 for efficiencies), or infinity.</param>
public sealed record CalibrationParameter(
    string Name,
    Func<HardwareProfile, double> Get,
    Func<HardwareProfile, double, HardwareProfile> Set,
    double Max = double.PositiveInfinity)
{
    /// <summary>How far either way of the base value the search goes, as a factor.</summary>
    public const double Range = 1000;

    /// <summary>
    /// The constants calibration considers, in order of preference: where two of them
    /// move the estimates the same way (DRAM bandwidth and DRAM efficiency do, except in
    /// latency-bound kernels), the earlier one is fitted and the later one kept.
    /// Spec-sheet figures (clock, DRAM bandwidth) therefore come last.
    /// </summary>
    public static IReadOnlyList<CalibrationParameter> All { get; } =
    [
        new("launch_us", p => p.LaunchMicroseconds, (p, v) => p with { LaunchMicroseconds = v }),
        new("thread_sync_ns", p => p.ThreadSyncNs, (p, v) => p with { ThreadSyncNs = v }),
        new("barrier_ns", p => p.BarrierNs, (p, v) => p with { BarrierNs = v }),
        new("memory_latency_ns", p => p.MemoryLatencyNs, (p, v) => p with { MemoryLatencyNs = v }),
        new("issue_efficiency", p => p.IssueEfficiency, (p, v) => p with { IssueEfficiency = v }, Max: 1),
        new("dram_efficiency", p => p.DramEfficiency, (p, v) => p with { DramEfficiency = v }, Max: 1),
        new("l2_bandwidth_gbs", p => p.EffectiveL2BandwidthGBs, (p, v) => p with { L2BandwidthGBs = v }),
        new("overlap_loss", p => p.OverlapLoss, (p, v) => p with { OverlapLoss = v }, Max: 1),
        new("clock_mhz", p => p.ClockMhz, (p, v) => p with { ClockMhz = v }),
        new("dram_bandwidth_gbs", p => p.DramBandwidthGBs, (p, v) => p with { DramBandwidthGBs = v }),
    ];

    /// <summary>The parameter named <paramref name="name"/>, or null.</summary>
    public static CalibrationParameter? Named(string name) => All.FirstOrDefault(p => p.Name == name);

    /// <summary>
    /// The search range around <paramref name="baseValue"/>, inside what a profile file may hold: a fit
    /// past it (clock_mhz 1500 -> 1.5E+6) wrote a profile that --target refused (found by fuzzing).
    /// </summary>
    public (double Low, double High) Bounds(double baseValue)
    {
        var (min, max) = Limits;
        return (Math.Max(min, baseValue / Range), Math.Min(max, baseValue * Range));
    }

    /// <summary><paramref name="value"/> inside what a profile file may hold (exp(log(x)) can land a rounding past a bound).</summary>
    public double Accepted(double value) => Math.Clamp(value, Limits.Min, Limits.Max);

    /// <summary>What a profile file may hold, and at most <see cref="Max"/>.</summary>
    private (double Min, double Max) Limits
    {
        get
        {
            var (min, max) = ProfileCatalog.AcceptedRange(Name);
            return (min, Math.Min(Max, max));
        }
    }
}
