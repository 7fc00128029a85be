using Gensor.Etir;

namespace Gensor.FrontEnd;

/// <summary>
/// A parsed compute statement <c>OUT[i,j,...] OP RHS</c>, before axes and shapes
/// are inferred.
/// </summary>
/// <param name="Output">The output tensor's name.</param>
/// <param name="OutputAxes">The output's indices: plain, distinct index variables.</param>
/// <param name="Reduction"><c>=</c>, <c>+=</c> or <c>max=</c>.</param>
/// <param name="Body">The right-hand side.</param>
public sealed record ComputeStatement(string Output, ValueArray<string> OutputAxes, Reduction Reduction, Expr Body);
