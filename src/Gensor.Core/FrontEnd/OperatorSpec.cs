namespace Gensor.FrontEnd;

/// <summary>
/// One operator as a user describes it, before parsing: the fields of a spec
/// file's JSON object (or of the inline <c>--compute</c>/<c>--shape</c> options).
/// </summary>
/// <param name="Name">The operator's name.</param>
/// <param name="Compute">The tensor expression, e.g. <c>C[m,n] += A[m,k] * B[k,n]</c>.</param>
/// <param name="Shape">The extent of every index variable.</param>
/// <param name="Tensors">Shapes given explicitly (needed where reads run outside a tensor, i.e. padding).</param>
/// <param name="Dtype">The element type; only <c>float32</c> exists for now.</param>
/// <param name="Epilogue">An element-wise expression of the accumulated output, or null.</param>
/// <param name="Count">How many times the operator occurs in a model (suites), default 1.</param>
/// <param name="Source">Where the spec came from (a file path, or "--compute"), for error messages.</param>
/// <param name="OnnxOp">Suites imported from a model: the type of the ONNX node the operator computes (e.g. <c>Conv</c>), or null.</param>
/// <param name="Nodes">Suites imported from a model: the names of the ONNX nodes the operator computes, or null.</param>
public sealed record OperatorSpec(
    string Name,
    string Compute,
    IReadOnlyDictionary<string, long> Shape,
    IReadOnlyDictionary<string, IReadOnlyList<long>> Tensors,
    string Dtype,
    string? Epilogue,
    int Count,
    string Source,
    string? OnnxOp = null,
    IReadOnlyList<string>? Nodes = null);
