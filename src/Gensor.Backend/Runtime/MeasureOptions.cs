namespace Gensor.Backend.Runtime;

/// <summary>How long to time a kernel: warm-up runs, then repetitions until <see cref="MinTotalMs"/> or <see cref="MaxRepetitions"/>.</summary>
public sealed record MeasureOptions(int WarmupRuns = 1, int MinRepetitions = 3, int MaxRepetitions = 200, double MinTotalMs = 50)
{
    /// <summary>
    /// The CPU accelerator simulates every GPU thread, so a run takes long and its
    /// time says nothing about a GPU: time it just enough to compare candidates.
    /// </summary>
    public static MeasureOptions Simulated { get; } = new(WarmupRuns: 0, MinRepetitions: 3, MaxRepetitions: 3, MinTotalMs: 0);
}
