using Gensor.Backend.Runtime;

namespace Gensor.Tests.Backend;

public sealed class DeviceProfileTests
{
    [Theory]
    // ILGPU reports the memory clock in MHz; nvidia-smi's maximum memory clocks and the buses of the
    // SXM parts give the vendors' figures (H100 3.35 TB/s, H200 4.8 TB/s).
    [InlineData(2619, 5120, 3352)]
    [InlineData(3201, 6144, 4917)]
    public void Dram_bandwidth_comes_from_the_memory_clock_in_megahertz(int clockMHz, int busBits, double gbs)
    {
        Assert.Equal(gbs, DeviceProfiles.DramBandwidthGBs(clockMHz, busBits), 0);
    }
}
