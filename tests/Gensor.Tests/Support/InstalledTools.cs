using Gensor.Backend.Inspection;

namespace Gensor.Tests.Support;

/// <summary>
/// NVIDIA's tools for the tests that run them. Without them those tests fail (they are
/// never skipped), saying how to install them; the test build normally fetches them.
/// </summary>
public static class InstalledTools
{
    public static NvidiaTools Require()
    {
        if (!NvidiaTools.TryFind(out var tools, out var missing))
        {
            Assert.Fail($"this test needs NVIDIA's ptxas, cuobjdump and nvdisasm: {missing}");
        }
        return tools;
    }
}
