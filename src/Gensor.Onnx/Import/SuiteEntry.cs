using Gensor.FrontEnd;

namespace Gensor.Onnx.Import;

/// <summary>
/// One entry of the imported suite: operators of the same ONNX type that are
/// equal up to names, merged. <see cref="Spec"/> has their count and all their nodes.
/// </summary>
/// <param name="Spec">The suite entry, as <c>gensor batch</c> reads it.</param>
/// <param name="Kernels">The operators it stands for, in model order.</param>
/// <param name="IterationPoints">One operator's product of extents (multiply-adds for a convolution).</param>
public sealed record SuiteEntry(OperatorSpec Spec, IReadOnlyList<ImportedKernel> Kernels, long IterationPoints)
{
    public int Count => Kernels.Count;

    public string OnnxOp => Spec.OnnxOp!;
}
