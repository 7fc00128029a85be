namespace Gensor.Backend.Inspection;

/// <summary>The SASS of a cubin, as <c>cuobjdump -sass</c> prints it.</summary>
public static class SassDisassembler
{
    /// <summary>The listing's text and cuobjdump's wall time.</summary>
    /// <exception cref="InvalidOperationException">cuobjdump refused the file.</exception>
    public static (string Text, double Milliseconds) Disassemble(NvidiaTools tools, byte[] cubin)
    {
        return ToolFolder.Use("gensor-sass-", folder =>
        {
            var input = Path.Combine(folder, "kernel.cubin");
            File.WriteAllBytes(input, cubin);
            var run = ToolProcess.Run(tools.Cuobjdump, "-sass", input);
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException($"cuobjdump could not read the cubin: {run.Message}");
            }
            return (run.Output, run.Milliseconds);
        });
    }
}
