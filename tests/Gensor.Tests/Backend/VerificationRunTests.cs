using System.Text.RegularExpressions;
using Gensor.Backend.Compilation;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Reference;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>
/// Verification of real kernels on the CPU accelerator (issue 13, item 1): a
/// kernel that skips an element or writes NaN where the reference is finite is
/// caught, whatever the reference holds at that element.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class VerificationRunTests(CpuDeviceFixture fixture)
{
    private static readonly Schedule OnePerThread = Schedule.Parse("block=16 thread=1 reduce=-");

    // The kernel's one store to the output, with the element index it computes.
    private static readonly Regex Store = new(@"t_C\[(?<index>[^\]]+)\] =");

    private Measurement RunEdited(Operator op, Func<string, string> edit)
    {
        var source = CSharpKernelGenerator.Generate(new EtirState(op, OnePerThread), "EditedKernel");
        var edited = edit(source.Text);
        Assert.NotEqual(source.Text, edited);
        var compiled = RoslynKernelCompiler.Compile([source with { Text = edited }]).Single();
        Assert.Null(compiled.Error);
        using var runner = new KernelRunner(fixture.Device, op, seed: 3);
        return runner.Run(compiled, MeasureOptions.Simulated);
    }

    [Fact]
    public void A_kernel_that_never_writes_an_element_fails_even_where_the_reference_is_NaN()
    {
        // sqrt of a negative input is NaN in the reference; the kernel skips exactly such an element.
        var op = Operators.Parse("C[m] = sqrt(A[m])", "m=16");
        var skipped = Array.FindIndex(InputGenerator.Generate(op, 3)["A"], a => a < 0);
        Assert.True(skipped >= 0);

        var measurement = RunEdited(op, text => Store.Replace(text, $"if (${{index}} != {skipped}) t_C[${{index}}] =", 1));

        Assert.False(measurement.Verified);
        Assert.Contains("never written", measurement.Error);
        Assert.Contains($"element {skipped}", measurement.Error);
    }

    [Fact]
    public void A_kernel_that_writes_NaN_where_the_reference_is_finite_fails()
    {
        var op = Operators.Parse("C[m] = A[m] * 2", "m=16");

        var measurement = RunEdited(op, text => Store.Replace(text, "t_C[${index}] = ${index} == 5 ? float.NaN :", 1));

        Assert.False(measurement.Verified);
        Assert.Contains("element 5 is NaN", measurement.Error);
    }

    [Fact]
    public void A_correct_kernel_is_verified_and_reports_the_tolerance_it_met()
    {
        var op = Operators.Parse("C[m] = A[m] * 1000.1 - A[m] * 1000", "m=16");
        var source = CSharpKernelGenerator.Generate(new EtirState(op, OnePerThread), "GoodKernel");
        var compiled = RoslynKernelCompiler.Compile([source]).Single();
        using var runner = new KernelRunner(fixture.Device, op, seed: 3);

        var measurement = runner.Run(compiled, MeasureOptions.Simulated);

        Assert.True(measurement.Verified, measurement.Error);
        Assert.InRange(measurement.MaxAbsError, 0, measurement.Tolerance);
        Assert.True(measurement.Tolerance > 1e-5, "a fixed relative slack of 1e-5 rejected this rounding before");
    }
}
