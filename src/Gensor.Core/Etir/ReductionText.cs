namespace Gensor.Etir;

/// <summary>How a reduction is written in the expression language.</summary>
public static class ReductionText
{
    /// <summary>The assignment operator of <paramref name="reduction"/>: <c>=</c>, <c>+=</c> or <c>max=</c>.</summary>
    public static string Assignment(this Reduction reduction) => reduction switch
    {
        Reduction.Sum => "+=",
        Reduction.Max => "max=",
        _ => "=",
    };
}
