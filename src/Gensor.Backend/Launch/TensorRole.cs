namespace Gensor.Backend.Launch;

/// <summary>Whether a kernel argument is written (the output) or only read (an input).</summary>
public enum TensorRole
{
    Output,
    Input,
}
