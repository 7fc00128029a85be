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
    public void A_measured_candidates_assembly_unloads_once_the_next_one_has_run()
    {
        // The CPU accelerator's worker threads keep the last launched kernel until the next launch.
        var first = CompileAndRun(0);
        CompileAndRun(1);

        Collect();

        Assert.False(first.IsAlive, "the compiled kernel's load context is still alive");
    }

    [Fact]
    public void Memory_stays_flat_over_200_compilations()
    {
        var contexts = new List<WeakReference>();
        long afterFirst = 0;
        for (var i = 0; i < 200; i++)
        {
            contexts.Add(CompileAndRun(i));
            if (i == 19)
            {
                Collect();
                afterFirst = GC.GetTotalMemory(forceFullCollection: true);
            }
        }
        Collect();
        var afterAll = GC.GetTotalMemory(forceFullCollection: true);

        // Every context but the last launched one is gone, and the managed heap did not grow with the
        // 180 later compilations (an assembly kept alive holds well over 100 KB of metadata, Roslyn and ILGPU state).
        Assert.True(contexts.Count(c => c.IsAlive) <= 1, $"{contexts.Count(c => c.IsAlive)} load contexts alive");
        Assert.True(afterAll < afterFirst + 8 * 1024 * 1024, $"heap grew from {afterFirst} to {afterAll} bytes");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference CompileAndRun(int index)
    {
        var op = Operators.Parse("C[m,n] += A[m,k] * B[k,n]", "m=4,n=4,k=2");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=4x4 thread=1x1 reduce=2")), $"Unload{index}");
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        var context = new WeakReference(AssemblyLoadContext.GetLoadContext(compiled.Method!.DeclaringType!.Assembly));
        using (var runner = new KernelRunner(fixture.Device, op, seed: 1))
        {
            Assert.True(runner.Run(compiled, MeasureOptions.Simulated with { MinRepetitions = 1, MaxRepetitions = 1 }).Verified);
        }
        return context;
    }

    private static void Collect()
    {
        for (var i = 0; i < 10; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }
}
