using Gensor.Backend.Runtime;

namespace Gensor.Tests.Support;

/// <summary>One CPU accelerator shared by the tests of a collection: opening one costs about a second.</summary>
public sealed class CpuDeviceFixture : IDisposable
{
    public KernelDevice Device { get; } = KernelDevice.Open(DeviceKind.Cpu);

    public void Dispose() => Device.Dispose();
}

[CollectionDefinition(Name)]
public sealed class CpuDeviceCollection : ICollectionFixture<CpuDeviceFixture>
{
    public const string Name = "cpu accelerator";
}
