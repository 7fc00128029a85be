using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using Gensor.Backend.Compilation;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>Compiled candidates do not accumulate: their assemblies unload once measured.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class KernelUnloadingTests(CpuDeviceFixture fixture)
{
    [Fact]
    public void A_measured_candidates_assembly_unloads_once_later_ones_have_run()
    {
        // The CPU accelerator's worker threads keep the last kernel they ran until they run the next.
        var first = CompileAndRun(0);
        for (var i = 1; i <= 4; i++)
        {
            CompileAndRun(i);
        }

        Collect(() => !first.IsAlive);

        Assert.False(first.IsAlive, "the compiled kernel's load context is still alive");
    }

    [Fact]
    public void Memory_stays_flat_over_50_compilations()
    {
        // What a compiled candidate keeps alive is its load context (its assembly, the
        // metadata Roslyn emitted and ILGPU's state for it). Other tests run in parallel in
        // this process, so the heap's size would be noise; the contexts are the measure. A leak
        // keeps every context alive, so 50 show it as plainly as more would (each costs ~0.2 s).
        var contexts = new List<WeakReference>();
        for (var i = 0; i < 50; i++)
        {
            contexts.Add(CompileAndRun(i));
        }
        // Each simulated multiprocessor's worker threads keep the last kernel they ran: every other context is gone.
        var kept = fixture.Device.Accelerator.NumMultiprocessors;
        Collect(() => contexts.Count(c => c.IsAlive) <= kept);

        Assert.True(contexts.Count(c => c.IsAlive) <= kept, $"{contexts.Count(c => c.IsAlive)} of {contexts.Count} load contexts alive");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference CompileAndRun(int index)
    {
        // Four blocks, so that every simulated multiprocessor runs each kernel: each one's
        // worker threads keep the last kernel they ran until they run the next.
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=8,n=8,k=2");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=4x4 thread=1x1 reduce=2")), $"Unload{index}");
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        var context = new WeakReference(AssemblyLoadContext.GetLoadContext(compiled.Method!.DeclaringType!.Assembly));
        using (var runner = new KernelRunner(fixture.Device, op, seed: 1))
        {
            Assert.True(runner.Run(compiled, MeasureOptions.Simulated with { MinRepetitions = 1, MaxRepetitions = 1 }).Verified);
        }
        return context;
    }

    /// <summary>
    /// Collects until <paramref name="done"/> or 10 seconds: unloading a context takes
    /// several collections with finalizers between them, more on a busy machine.
    /// </summary>
    private static void Collect(Func<bool> done)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        while (!done() && clock.Elapsed < TimeSpan.FromSeconds(10));
    }
}
