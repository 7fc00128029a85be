using System.Collections.Immutable;
using Gensor.Backend.Compilation;
using Gensor.Backend.Lowering;
using Gensor.Backend.Lowering.Ir;
using Gensor.Backend.Runtime;
using Gensor.Etir;
using Gensor.Tests.Support;

namespace Gensor.Tests.Backend;

/// <summary>
/// "Verified" must never be a lie: kernels one small bug away from the generated ones (a
/// reduction term dropped, an output element never stored, a result off by 0.1%) must each
/// fail verification on the CPU accelerator, however the bug hides in the kernel's structure
/// (staged, unrolled, split over reduce lanes). The mutants are made on the lowered kernel
/// (its IR), so they are the bugs a lowering change could really introduce. Extents divide
/// the tiles: no mutated statement sits in a stage that never runs, so none is harmless.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class MutantKernelTests(CpuDeviceFixture fixture)
{
    public static TheoryData<string, string, string> Kernels => new()
    {
        { "C[m,n] += A[m,k] * B[k,n]", "m=16,n=16,k=16", "block=8x8 thread=2x2 reduce=4 shared=A,B" },
        { "C[m,n] += A[m,k] * B[k,n]", "m=16,n=16,k=16", "block=8x8 thread=2x2 reduce=8 shared=A vector=2 prefetch=1" },
        { "C[m,n] += A[m,k] * B[k,n]", "m=16,n=8,k=32", "block=4x8 thread=1x2 reduce=16 rthreads=4" },
        { "y[i] += A[i,j] * x[j]", "i=32,j=64", "block=8 thread=1 reduce=32 rthreads=8" },
        { "O[n,f,y,x] += I[n,c,y+r,x+s] * W[f,c,r,s]", "n=1,f=4,y=4,x=4,c=4,r=3,s=3", "block=1x4x2x4 thread=1x2x1x2 reduce=2x3x3 shared=I,W" },
    };

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Every_mutant_of_a_generated_kernel_fails_verification(string compute, string shape, string schedule)
    {
        var op = Operators.Parse(compute, shape);
        var state = new EtirState(op, Schedule.Parse(schedule));
        var kernel = CSharpKernelGenerator.Lower(state);
        var original = CSharpKernelGenerator.Generate(state, "Original");
        var mutants = Mutants(kernel).ToArray();
        Assert.True(mutants.Length >= 3, $"{schedule}: only {mutants.Length} mutants");
        var sources = mutants.Select((m, i) => original with
        {
            ClassName = $"Mutant{i}",
            Text = CSharpPrinter.Print(m.Kernel, $"Mutant{i}", [$"Mutant: {m.What}"]),
        }).Prepend(original).ToArray();
        var compiled = RoslynKernelCompiler.Compile(sources);

        using var runner = new KernelRunner(fixture.Device, op, seed: 5);
        var once = CpuDeviceFixture.Once;
        Assert.True(runner.Run(compiled[0], once).Verified, $"{schedule}: the unmutated kernel must verify");
        for (var i = 0; i < mutants.Length; i++)
        {
            Assert.True(compiled[i + 1].Error is null, $"{mutants[i].What}: {compiled[i + 1].Error}");
            var measurement = runner.Run(compiled[i + 1], once);
            Assert.False(measurement.Verified, $"{schedule}, mutant '{mutants[i].What}' was verified (max abs error {measurement.MaxAbsError})");
        }
    }

    [Theory]
    // The last stage of 4 terms skipped: at k = 16,384 random inputs' rigorous bound (about 8 per
    // output) hides 4 terms of at most 1 each; the run on integer inputs, exact in any order, does not.
    [InlineData("C[m,n] += A[m,k] * B[k,n]", "m=4,n=4,k=16384", "block=4x4 thread=1x1 reduce=4")]
    // A whole 32-term stage of a GEMV skipped, and a convolution's last of 1,024 channel stages.
    [InlineData("y[i] += A[i,j] * x[j]", "i=8,j=65536", "block=8 thread=1 reduce=32")]
    [InlineData("O[n,f,y,x] += I[n,c,y+r-1,x+s-1] * W[f,c,r,s]", "n=1,f=2,y=2,x=2,c=2048,r=3,s=3", "block=1x2x2x2 thread=1x1x1x1 reduce=2x3x3")]
    // Bodies other than a product of two reads: a row sum, a product of three, a difference of products.
    [InlineData("y[i] += A[i,j]", "i=8,j=65536", "block=8 thread=1 reduce=32")]
    [InlineData("C[m,n] += A[m,k] * B[k,n] * s[k]", "m=4,n=4,k=16384", "block=4x4 thread=1x1 reduce=4")]
    [InlineData("C[m,n] += A[m,k] * B[k,n] - A[m,k] * s[k]", "m=4,n=4,k=16384", "block=4x4 thread=1x1 reduce=4")]
    // A body scaled by a power of two (found by fuzzing: random inputs' bound of about 4 hid a stage off by 0.5-0.7).
    [InlineData("C[m,n] += A[m,k] * B[k,n] * 0.5", "m=4,n=4,k=16384", "block=4x4 thread=1x1 reduce=4")]
    public void A_stage_skipped_in_a_long_reduction_fails_verification(string compute, string shape, string schedule) =>
        AssertCaughtOnIntegers(compute, shape, schedule, "last stage skipped", kernel =>
        {
            var stages = kernel.Statements.OfType<IrStmt.For>().Single(loop => loop.Index.Name == "g_st");
            return Replace(kernel.Body, stages, stages with { End = stages.End - 1 });
        });

    [Theory]
    // Random inputs of either sign: a 3x3 window is all negative once in 512, so 16 windows
    // hardly ever show it; the run on integers that make every term negative does.
    [InlineData("O[n,c,y,x] max= I[n,c,y+r,x+s]", "n=1,c=4,y=2,x=2,r=3,s=3", "block=4x2x2 thread=1x1x1 reduce=3x3", null)]
    // Found by fuzzing: a min-pooling (the maximum of a negated read) and a maximum of products were
    // verified with their maximum from 0; they now take integers of the signs that make each term negative.
    [InlineData("O[n,c,y,x] max= -I[n,c,y+r,x+s]", "n=1,c=4,y=2,x=2,r=3,s=3", "block=4x2x2 thread=1x1x1 reduce=3x3", "-O[n,c,y,x]")]
    [InlineData("C[m,n] max= A[m,k] * B[k,n]", "m=4,n=4,k=16", "block=4x4 thread=1x1 reduce=16", null)]
    public void A_maximum_that_starts_from_zero_fails_verification(string compute, string shape, string schedule, string? epilogue) =>
        AssertCaughtOnIntegers(compute, shape, schedule, "maximum from 0", kernel =>
        {
            var start = kernel.Statements.OfType<IrStmt.Declare>().Single(d => d.Variable.Name.StartsWith("g_acc", StringComparison.Ordinal));
            Assert.True(start.Init is IrExpr.Float { Value: double.NegativeInfinity }, $"the maximum starts from {start.Init}");
            return Replace(kernel.Body, start, start with { Init = new IrExpr.Float(0) });
        }, epilogue);

    /// <summary>The kernel verifies; its mutant (<paramref name="mutate"/> of its IR) fails, on the integer inputs.</summary>
    private void AssertCaughtOnIntegers(string compute, string shape, string schedule, string what, Func<KernelIr, IrStmt> mutate, string? epilogue = null)
    {
        var op = Operators.Parse(compute, shape, epilogue);
        var state = new EtirState(op, Schedule.Parse(schedule));
        var kernel = CSharpKernelGenerator.Lower(state);
        var original = CSharpKernelGenerator.Generate(state, "Original");
        var mutant = kernel with { Body = mutate(kernel) };
        var (unmutated, measurement) = fixture.RunWithMutant(op, original, CSharpPrinter.Print(mutant, "Mutant", [$"Mutant: {what}"]));

        Assert.True(unmutated.Verified, $"{schedule}: the unmutated kernel must verify");

        Assert.False(measurement.Verified, $"{schedule}, {what}: verified (max abs error {measurement.MaxAbsError})");
        Assert.Contains("integer inputs", measurement.Error);
    }

    private sealed record Mutant(string What, KernelIr Kernel);

    /// <summary>One mutant per accumulation (its term dropped), one per store (never stored), and the first store's value off by 0.1%.</summary>
    private static IEnumerable<Mutant> Mutants(KernelIr kernel)
    {
        var all = kernel.Statements.OfType<IrStmt.Assign>().Where(IsAccumulation).Distinct().ToArray();
        // At most twelve, spread over the kernel: the first and last terms, and lanes' combines, included.
        var accumulations = all.Where((_, n) => all.Length <= 12 || n % (all.Length / 11) == 0 || n == all.Length - 1).ToArray();
        foreach (var (assign, n) in accumulations.Select((a, n) => (a, n)))
        {
            yield return new Mutant($"accumulation {n} of {assign.Variable} dropped",
                kernel with { Body = Replace(kernel.Body, assign, new IrStmt.Comment("dropped")) });
        }
        // Stores into the output tensor (directly or through a window of it), not the copies into shared memory.
        var output = kernel.Parameters[0].Tensor;
        var stores = kernel.Statements.OfType<IrStmt.Store>().Where(s => s.Buffer.Scope == BufferScope.Global && s.Buffer.Tensor == output).Distinct().ToArray();
        foreach (var (store, n) in stores.Select((s, n) => (s, n)))
        {
            yield return new Mutant($"store {n} never made", kernel with { Body = Replace(kernel.Body, store, new IrStmt.Comment("not stored")) });
        }
        if (stores.Length > 0 && stores[0].Width == 1)
        {
            var off = stores[0] with { Value = new IrExpr.Binary(BinaryOperator.Multiply, stores[0].Value, new IrExpr.Float(1.001)) };
            yield return new Mutant("store 0 off by 0.1%", kernel with { Body = Replace(kernel.Body, stores[0], off) });
        }
    }

    /// <summary><c>acc = acc + term</c> (or <c>term + acc</c>) into an accumulator.</summary>
    private static bool IsAccumulation(IrStmt.Assign assign) =>
        assign.Variable.Name.StartsWith("g_acc", StringComparison.Ordinal)
        && assign.Value is IrExpr.Binary { Op: BinaryOperator.Add } sum
        && (sum.Left is IrExpr.Ref left && left.Variable == assign.Variable || sum.Right is IrExpr.Ref right && right.Variable == assign.Variable);

    /// <summary>The tree with every statement equal to <paramref name="target"/> replaced (an unrolled body repeats none: each differs by its constants).</summary>
    private static IrStmt Replace(IrStmt statement, IrStmt target, IrStmt replacement) => statement == target ? replacement : statement switch
    {
        IrStmt.For loop => loop with { Body = Replace(loop.Body, target, replacement) },
        IrStmt.If branch => branch with { Then = Replace(branch.Then, target, replacement) },
        IrStmt.Seq seq => seq with { Body = seq.Body.Select(s => Replace(s, target, replacement)).ToImmutableArray() },
        _ => statement,
    };
}
