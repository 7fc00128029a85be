namespace Gensor.Etir;

/// <summary>
/// One ETIR: an operator together with a complete schedule, i.e. one runnable
/// program and one node of the construction graph.
/// </summary>
public sealed record EtirState(Operator Operator, Schedule Schedule)
{
    public override string ToString() => $"{Operator.Name}: {Schedule}";
}
