using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Gensor.FrontEnd;
using Gensor.Reference;

namespace Gensor.Bench;

/// <summary>
/// `Gensor.Bench reference [--cores N]`: how fast the reference evaluator runs on this machine, in
/// terms (iteration points) a second, per operator. Every tune call evaluates the reference before
/// its first candidate, so at GPU sizes this is the wait a GPU session pays (a 4096^3 product is
/// 6.9e10 terms). The figures are wall time of one evaluation on this machine's cores.
/// </summary>
internal static class ReferenceTable
{
    private static readonly (string Name, string Compute, string Shape)[] Operators =
    [
        ("gemm_512", "C[m,n] += A[m,k] * B[k,n]", "m=512,n=512,k=512"),
        ("gemm_1024", "C[m,n] += A[m,k] * B[k,n]", "m=1024,n=1024,k=1024"),
        ("gemm_nt_1024", "C[m,n] += A[m,k] * B[n,k]", "m=1024,n=1024,k=1024"),
        ("bmm_12x256x64x256", "S[b,i,j] += Q[b,i,d] * K[b,d,j]", "b=12,i=256,j=256,d=64"),
        ("gemv_4096", "y[i] += A[i,j] * x[j]", "i=4096,j=4096"),
        ("gemm_4096", "C[m,n] += A[m,k] * B[k,n]", "m=4096,n=4096,k=4096"),
        ("conv3x3_64_28", "O[b,f,y,x] += I[b,c,y+r-1,x+s-1] * W[f,c,r,s]", "b=1,f=64,y=28,x=28,c=64,r=3,s=3"),
    ];

    public static int Run(string[] args)
    {
        foreach (var arg in args)
        {
            Console.Error.WriteLine($"error: unknown option '{arg}'");
            return 2;
        }
        Console.WriteLine($"Reference evaluation on this machine ({Environment.ProcessorCount} cores), one evaluation each after a warm-up:");
        Console.WriteLine();
        Console.WriteLine("| operator | terms | seconds | terms/s | terms/s per core |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (name, compute, shape) in Operators)
        {
            var op = OperatorBuilder.Build(SpecReader.FromInline(compute, shape, name, null));
            var inputs = InputGenerator.Generate(op, seed: 1);
            // The same operator at extent 2 on every axis first: JIT and thread pool warm.
            var small = OperatorBuilder.Build(SpecReader.FromInline(compute, Regex.Replace(shape, "[0-9]+", "2"), name, null));
            ReferenceEvaluator.Evaluate(small, InputGenerator.Generate(small, seed: 1));
            var clock = Stopwatch.StartNew();
            ReferenceEvaluator.Evaluate(op, inputs);
            var seconds = clock.Elapsed.TotalSeconds;
            var terms = (double)op.IterationPoints;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {terms:0.##e0} | {seconds:F2} | {terms / seconds:0.##e0} | {terms / seconds / Environment.ProcessorCount:0.##e0} |"));
        }
        return 0;
    }
}
