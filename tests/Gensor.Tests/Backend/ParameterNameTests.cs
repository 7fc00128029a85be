using Gensor.Backend.Compilation;
using Gensor.Backend.Launch;
using Gensor.Backend.Lowering;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>
/// Tensor names never collide with what a generated kernel names (issue 13,
/// item 11): a tensor called like a type the kernel uses, a keyword or a
/// generated local still gives C# that compiles.
/// </summary>
public sealed class ParameterNameTests
{
    public static TheoryData<string> Names => new()
    {
        "Grid", "Group", "XMath", "SharedMemory", "ArrayView1D", "Stride1D", "Float4", "Float2", "ILGPU", "Interop",
        "Math", "System", "Index1D", "int", "float", "var", "g_acc0", "g_s0", "MathF", "Warp", "Atomic", "Kernel",
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void A_tensor_named_like_a_kernel_identifier_compiles(string name)
    {
        // Staged, reduced, with an epilogue: every place a parameter appears.
        var op = Operators.Parse($"Out[m] += {name}[m,k] * Q[k]", "m=8,k=8", $"relu(Out[m]) + {name}[m,0]");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse($"block=8 thread=2 reduce=4 shared={name},Q")), "NameKernel");

        var compiled = RoslynKernelCompiler.Compile([source]).Single();

        Assert.True(compiled.Error is null, compiled.Error);
        Assert.Contains(source.Launch.Tensors, t => t.Name == name && t.Parameter == "t_" + name);
    }

    [Fact]
    public void An_output_named_Grid_compiles()
    {
        var op = Operators.Parse("Grid[m] = Group[m] + XMath[m]", "m=8");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=8 thread=1 reduce=-")), "GridKernel");

        Assert.Null(RoslynKernelCompiler.Compile([source]).Single().Error);
    }

    [Fact]
    public void The_launcher_compiles_with_tensors_named_like_its_own_identifiers()
    {
        // The launcher takes "accelerator" and declares GridSize, Launch and Load: tensors of those names must not clash with them.
        var op = Operators.Parse("accelerator[m] = GridSize[m] + Launch[m] * Load[m]", "m=8");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse("block=8 thread=1 reduce=-")), "LauncherNameKernel");

        var assembly = CSharpProgram.Compile(executable: false, LauncherWriter.KernelFile(source, LauncherName.For("names")));

        var launch = assembly.GetTypes().Single(t => t.Name == "Names").GetMethod("Launch")!;
        Assert.Equal(["accelerator", "t_accelerator", "t_GridSize", "t_Launch", "t_Load"], launch.GetParameters().Select(p => p.Name));
    }
}
