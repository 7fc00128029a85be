using Gensor.Diagnostics;

namespace Gensor.Cli;

/// <summary>
/// Standard output that names itself when a write fails. A full disk under <c>&gt; file</c> (or
/// <c>&gt; /dev/full</c>) fails only at the first write, after the work: without this the user read
/// "internal error: IOException: No space left on device" and could not tell which file was full.
/// A closed pipe (<c>| head</c>) is not a failure: .NET's console drops writes to it.
/// </summary>
internal sealed class StandardOutputWriter(TextWriter inner) : TextWriter
{
    public override System.Text.Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    public override string NewLine
    {
        get => inner.NewLine;
#pragma warning disable CS8765 // TextWriter's setter accepts null and means the default.
        set => inner.NewLine = value;
#pragma warning restore CS8765
    }

    public override void Write(char value) => Guarded(() => inner.Write(value));

    public override void Write(char[] buffer, int index, int count) => Guarded(() => inner.Write(buffer, index, count));

    public override void Write(string? value) => Guarded(() => inner.Write(value));

    public override void WriteLine(string? value) => Guarded(() => inner.WriteLine(value));

    public override void Flush() => Guarded(inner.Flush);

    private static void Guarded(Action write)
    {
        try
        {
            write();
        }
        catch (IOException exception)
        {
            // Internal (exit 1): the environment failed during the work, not the input.
            throw new GensorException(
                new GensorError(ErrorKind.Internal, $"could not write the results to standard output: {exception.Message}"),
                exception);
        }
    }
}
