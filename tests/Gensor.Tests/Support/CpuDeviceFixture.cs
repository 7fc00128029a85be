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
