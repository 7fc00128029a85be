namespace Gensor.Onnx.Import;

/// <summary>What became of a node of the model; every node has exactly one.</summary>
public enum NodeRole
{
    /// <summary>It is computed by one or more Gensor operators of its own.</summary>
    Kernel,

    /// <summary>An element-wise node folded into the operator that produced its input (its epilogue).</summary>
    Fused,

    /// <summary>It moves no arithmetic (reshape, transpose, concatenation, dropout, ...).</summary>
    Layout,

    /// <summary>Its outputs are constants, evaluated at import (weights, shapes).</summary>
    Constant,

    /// <summary>No rule maps it; listed with the reason, never dropped.</summary>
    Unsupported,
}
