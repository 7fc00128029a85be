using System.Diagnostics;
using Gensor.Backend.Compilation;
using Gensor.Backend.Runtime;
using Gensor.Etir;

namespace Gensor.Tuning.Isolation;

/// <summary>
/// Measures in this process: all sources in one Roslyn compilation, then each
/// kernel through one <see cref="KernelRunner"/>. A kernel's exceptions are
/// caught; a kernel that hangs or corrupts the device is not (see <see cref="IsolatedMeasurer"/>).
/// </summary>
/// <param name="device">The device kernels run on.</param>
/// <param name="onCompiled">Called with the compile time once all sources are compiled, before any kernel runs.</param>
public sealed class InProcessMeasurer(KernelDevice device, Action<double>? onCompiled = null) : ICandidateMeasurer
{
    public double MeasureAll(Operator op, IReadOnlyList<Schedule> schedules, int seed, Action<int, Measurement> onResult)
    {
        if (schedules.Count == 0)
        {
            return 0;
        }
        var clock = Stopwatch.StartNew();
        var sources = schedules.Select(s => KernelService.Lower(op, s)).ToArray();
        var compiled = RoslynKernelCompiler.Compile(sources);
        var compileMs = clock.Elapsed.TotalMilliseconds;
        var options = device.Simulated ? MeasureOptions.Simulated : new MeasureOptions();
        // The reference is evaluated before "ready": a worker's per-candidate timeout is for one
        // kernel's verification and timing, and a GPU-sized reference (a 4096^3 product) takes minutes.
        using var runner = new KernelRunner(device, op, seed);
        onCompiled?.Invoke(compileMs);
        for (var i = 0; i < compiled.Count; i++)
        {
            onResult(i, runner.Run(compiled[i], options));
        }
        return compileMs;
    }
}
