using Gensor.Etir;

namespace Gensor.Onnx.Import;

/// <summary>A data input of the model (not an initializer) with the shape the import fixed.</summary>
public sealed record ModelInput(string Name, ValueArray<long> Shape);
