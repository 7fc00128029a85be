using Gensor.Backend.Compilation;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Xunit;

namespace Gensor.Tests.Support;

/// <summary>One CPU accelerator shared by the tests of a collection: opening one costs about a second.</summary>
public sealed class CpuDeviceFixture : IDisposable
{
    public KernelDevice Device { get; } = KernelDevice.Open(DeviceKind.Cpu);

    /// <summary>One timed run and no warm-up: all a test needs to verify a kernel.</summary>
    public static MeasureOptions Once { get; } = MeasureOptions.Simulated with { MinRepetitions = 1, MaxRepetitions = 1, WarmupRuns = 0 };

    /// <summary>
    /// Compiles <paramref name="original"/> and a mutant of it (<paramref name="mutantText"/>, whose class is
    /// <c>Mutant</c>) and runs each <see cref="Once"/> against one reference, as tuning verifies the candidates
    /// of an operator: the original first.
    /// </summary>
    public (Measurement Original, Measurement Mutant) RunWithMutant(Operator op, KernelSource original, string mutantText, int seed = 5)
    {
        var compiled = RoslynKernelCompiler.Compile([original, original with { ClassName = "Mutant", Text = mutantText }]);
        Assert.All(compiled, c => Assert.True(c.Error is null, c.Error));
        using var runner = new KernelRunner(Device, op, seed);
        return (runner.Run(compiled[0], Once), runner.Run(compiled[1], Once));
    }

    /// <summary>Generates, compiles and runs <paramref name="state"/>'s kernel once, checked against the reference evaluation.</summary>
    public Measurement Run(EtirState state, string kernelName, int seed, MeasureOptions? options = null)
    {
        var compiled = RoslynKernelCompiler.Compile([CSharpKernelGenerator.Generate(state, kernelName)]).Single();
        Assert.Null(compiled.Error);
        using var runner = new KernelRunner(Device, state.Operator, seed);
        return runner.Run(compiled, options ?? MeasureOptions.Simulated);
    }

    public void Dispose() => Device.Dispose();
}

[CollectionDefinition(Name)]
public sealed class CpuDeviceCollection : ICollectionFixture<CpuDeviceFixture>
{
    public const string Name = "cpu accelerator";
}
