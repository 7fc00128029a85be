using System.Text.RegularExpressions;
using Gensor.Backend.Lowering;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>
/// "Verified" must not be a lie at the edges of floating point either: NaN from a square root, a
/// maximum of a NaN, functions that have flattened out, constants that dwarf the output or underflow
/// it, sums that overflow. Each case was found by a fuzzing round (the kernel below passed, or a
/// correct one failed); the mutants change the value the kernel stores, as a lowering bug would.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class NumericEdgeKernelTests(CpuDeviceFixture fixture)
{
    private const string Single = "block=16 thread=1 reduce=-";

    [Theory]
    // A square root of a computed value that is negative however it rounds: NaN for certain, and was not checked.
    [InlineData("C[m] = sqrt(A[m] + 0.5)", "m=64", null, Single)]
    [InlineData("y[i] += A[i,j] * x[j]", "i=32,j=64", "sqrt(y[i] * 0.5)", "block=8 thread=1 reduce=16")]
    // A relu of a NaN is 0 on a GPU and NaN on the CPU: -7 is neither, and passed.
    [InlineData("C[m] = sqrt(A[m])", "m=64", "relu(C[m])", Single)]
    // A maximum over terms some of which are NaN: 63 of 64 rows went unchecked.
    [InlineData("C[m] max= sqrt(A[m,k])", "m=64,k=4", null, "block=16 thread=1 reduce=4")]
    public void A_kernel_that_writes_a_number_where_the_answer_is_NaN_fails(string compute, string shape, string? epilogue, string schedule)
    {
        var (original, mutant) = Run(compute, shape, epilogue, schedule, value => $"(float.IsNaN({value}) ? -7f : {value})");

        Assert.True(original.Verified, original.Error);
        Assert.False(mutant.Verified, "a kernel writing -7 where the answer is NaN (or 0) was verified");
    }

    [Theory]
    // tanh and sigmoid of arguments far out on their flat parts are +-1 and 0 or 1: a sign flipped passed under a bound of 4.
    [InlineData("C[m] = tanh(A[m] * 1e12)", "-{0}")]
    [InlineData("C[m] = sigmoid(A[m] * 1e12)", "1f - {0}")]
    public void A_flattened_function_with_its_sign_flipped_fails(string compute, string mutation)
    {
        var (original, mutant) = Run(compute, "m=64", null, Single, value => string.Format(System.Globalization.CultureInfo.InvariantCulture, mutation, value));

        Assert.True(original.Verified, original.Error);
        Assert.False(mutant.Verified, $"{compute}: the mutant was verified");
    }

    [Theory]
    // Tolerances of 1e22 for values of 1, and an output that underflows: any value of the output's size passed.
    [InlineData("C[m] = A[m] * 1e-30 * 1e-30 * 1e30 * 1e30")]
    [InlineData("C[m] = A[m] * 1e30 - A[m] * 1e30 + B[m]")]
    [InlineData("C[m] = A[m] * 1e-50")]
    public void An_output_whose_every_tolerance_exceeds_its_values_cannot_be_verified(string compute)
    {
        var (original, mutant) = Run(compute, "m=64", null, Single, _ => "0f");

        Assert.False(original.Verified);
        Assert.StartsWith("cannot be verified", original.Error);
        Assert.Contains("would pass", original.Error);
        Assert.False(mutant.Verified);
    }

    [Theory]
    // A partial sum that overflows with the sign opposite to the total's (seed 1), infinity times a value that
    // may round to zero, and a constant float32 holds only as a subnormal: correct kernels failed as "wrong result".
    [InlineData("C[m] += A[m,k] * S[m] * 1e38", "m=64,k=64", "block=16 thread=1 reduce=8", 1)]
    [InlineData("C[m] = max(A[m] * 1e-45 * 1e45, B[m])", "m=64", Single, 5)]
    [InlineData("C[m] = A[m] * 1e30 * 1e-45", "m=64", Single, 5)]
    public void A_correct_kernel_is_never_called_wrong_where_the_format_may_overflow_or_flush(string compute, string shape, string schedule, int seed)
    {
        var (original, _) = Run(compute, shape, null, schedule, value => value, seed);

        Assert.True(original.Verified || original.Error!.StartsWith("cannot be verified", StringComparison.Ordinal), original.Error);
    }

    /// <summary>The generated kernel and a mutant whose stored value is <paramref name="mutate"/> of the original's, each run once.</summary>
    private (Measurement Original, Measurement Mutant) Run(string compute, string shape, string? epilogue, string schedule, Func<string, string> mutate, int seed = 5)
    {
        var op = Operators.Parse(compute, shape, epilogue);
        var original = CSharpKernelGenerator.Generate(new EtirState(op, Schedule.Parse(schedule)), "Original");
        var store = StoreOf(op.Output.Name).Matches(original.Text);
        Assert.True(store.Count == 1, $"{compute}: {store.Count} stores of the output");
        var line = store[0];
        var mutated = original.Text.Replace(line.Value, $"{line.Groups["target"].Value} = {mutate(line.Groups["value"].Value)};", StringComparison.Ordinal);
        return fixture.RunWithMutant(op, original, mutated.Replace("class Original", "class Mutant", StringComparison.Ordinal), seed);
    }

    /// <summary>The statement that stores an output element: <c>t_C[...] = value;</c>.</summary>
    private static Regex StoreOf(string output) => new($@"(?<target>t_{Regex.Escape(output)}\[[^\]\n]*\]) = (?<value>[^;\n]+);");
}
