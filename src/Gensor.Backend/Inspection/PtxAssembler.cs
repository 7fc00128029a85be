using Gensor.Backend.Emission;
using Gensor.Diagnostics;

namespace Gensor.Backend.Inspection;

/// <summary>
/// Assembles PTX into a cubin with ptxas for one architecture, and reads back
/// ptxas's resource report (<c>ptxas -arch=sm_XX -v</c>).
/// </summary>
public static class PtxAssembler
{
    /// <summary>
    /// Assembles <paramref name="ptx"/> for <paramref name="architecture"/>. When this ptxas is
    /// older than the PTX's <c>.version</c>, the directive is lowered first (see <see cref="PtxIsa.Lower"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">ptxas refused the PTX; the message is its own.</exception>
    /// <exception cref="GensorException">Internal: the temporary directory could not take ptxas's files.</exception>
    public static AssembledKernel Assemble(NvidiaTools tools, string ptx, string architecture)
    {
        var arch = OfflineKernelCompiler.ParseArchitecture(architecture);
        var sm = $"sm_{arch.Major}{arch.Minor}";
        Version? loweredTo = null;
        if (tools.MaxPtxIsa is { } max)
        {
            ptx = PtxIsa.Lower(ptx, max, out loweredTo);
        }
        return ToolFolder.Use("gensor-ptxas-", folder =>
        {
            var input = Path.Combine(folder, "kernel.ptx");
            var output = Path.Combine(folder, "kernel.cubin");
            File.WriteAllText(input, ptx);
            var run = ToolProcess.Run(tools.Ptxas, $"-arch={sm}", "-v", "-o", output, input);
            if (run.ExitCode != 0 && run.Message.Contains("is not defined for option 'gpu-name'", StringComparison.Ordinal))
            {
                // The profile names an architecture this ptxas does not know (a newer one, or none at all): the profile's fault.
                throw GensorException.BadInput($"ptxas {tools.Release.ToString(2)} does not know {sm}, the profile's architecture");
            }
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException($"ptxas {tools.Release.ToString(2)} could not assemble the kernel for {sm}: {run.Message.Replace(input, "kernel.ptx", StringComparison.Ordinal)}");
            }
            // ptxas writes its report to stderr (and nothing else on success).
            var report = PtxasReport.Parse(run.Error + run.Output).Single();
            return new AssembledKernel(File.ReadAllBytes(output), report, ptx, loweredTo, run.Milliseconds);
        });
    }
}
