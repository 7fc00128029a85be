namespace Gensor.Tests.Inspection;

/// <summary>
/// Real output of NVIDIA's tools, committed under Inspection/Fixtures (made with
/// ptxas and cuobjdump of CUDA 11.8): warp_dot.ptx is a hand-written kernel; the
/// gemm files come from ILGPU's PTX of a generated kernel (`gensor emit` of a
/// 64×64×32 product for h100; a 128³ one assembled with -maxrregcount=32 to spill).
/// </summary>
internal static class Fixture
{
    public static string Read(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Inspection", "Fixtures", name));
}
