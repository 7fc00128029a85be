using Gensor.Etir;
using Gensor.FrontEnd;

namespace Gensor.Tests.Support;

/// <summary>Operators for tests: the samples under samples/, at extents small enough for the CPU accelerator.</summary>
public static class Operators
{
    /// <summary>A 3x3 (r x s) convolution over CHW tensors without padding, the window read at y+r, x+s.</summary>
    public const string ConvChw = "O[f,y,x] += I[c,y+r,x+s] * W[f,c,r,s]";

    /// <summary>A plain matrix product, the form tensor-core schedules compute.</summary>
    public const string Gemm = "C[m,n] += A[m,k] * B[k,n]";

    public static string SamplePath(string name) => Path.Combine(AppContext.BaseDirectory, "samples", name + ".json");

    /// <summary>The sample's expression with the given extents (explicit tensor shapes dropped, so they follow the extents).</summary>
    public static Operator SmallSample(string name, string shape)
    {
        var spec = SpecReader.ReadFile(SamplePath(name))[0];
        var small = SpecReader.FromInline(spec.Compute, shape, spec.Name, spec.Epilogue);
        return OperatorBuilder.Build(small);
    }

    public static Operator Parse(string compute, string shape, string? epilogue = null) =>
        OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", epilogue));

    /// <summary>As <see cref="Parse(string, string, string?)"/>, every tensor of <paramref name="dtype"/> (f32, f16 or bf16).</summary>
    public static Operator Parse(string compute, string shape, string? epilogue, string dtype) =>
        OperatorBuilder.Build(SpecReader.FromInline(compute, shape, "op", epilogue) with { Dtype = dtype });
}
