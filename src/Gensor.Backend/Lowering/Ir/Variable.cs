namespace Gensor.Backend.Lowering.Ir;

/// <summary>A local value of the kernel: a register, after the compiler's allocation.</summary>
public sealed record Variable(string Name, IrType Type)
{
    public override string ToString() => Name;
}
