using System.Globalization;
using System.Text;
using Gensor.Backend.Lowering;

namespace Gensor.Backend.Launch;

/// <summary>
/// Writes the <c>kernel.cs</c> a user keeps: the generated kernel class, as it
/// was compiled and measured, placed in a namespace, followed by a launcher
/// class printed from the kernel's <see cref="LaunchContract"/>. The launcher's
/// <c>Launch(Accelerator, ArrayView&lt;float&gt;...)</c> takes the tensors in
/// the contract's order, loads the kernel once per accelerator, checks buffer
/// sizes and the accelerator's limits, and launches with the tuned grid and group.
/// </summary>
public static class LauncherWriter
{
    private const string Ilgpu = "global::ILGPU";

    /// <summary>The whole file: <paramref name="source"/>'s kernel in <paramref name="name"/>'s namespace, then its launcher.</summary>
    public static string KernelFile(KernelSource source, LauncherName name)
    {
        // The generated text is comments, usings, then the class: a file-scoped
        // namespace goes right before the class, after the usings, as C# requires.
        var declaration = $"public static class {source.ClassName}";
        var lines = source.Text.Split('\n');
        var at = Array.FindIndex(lines, line => line.StartsWith(declaration, StringComparison.Ordinal));
        if (at < 0)
        {
            throw new InvalidOperationException($"the kernel source does not declare '{declaration}' at the start of a line");
        }
        var text = new StringBuilder();
        text.Append(string.Join('\n', lines[..at])).Append('\n');
        text.Append($"namespace {name.Namespace};\n\n");
        text.Append(string.Join('\n', lines[at..]).TrimEnd('\n')).Append("\n\n");
        text.Append(Launcher(source, name));
        return text.ToString();
    }

    /// <summary>The launcher class alone (no namespace line).</summary>
    public static string Launcher(KernelSource source, LauncherName name)
    {
        var contract = source.Launch;
        var w = new StringBuilder();
        void Line(int depth, string line = "") => w.Append(line.Length == 0 ? "" : new string(' ', depth * 4)).Append(line).Append('\n');
        var state = source.State;
        // Inside Launch a tensor parameter may share a name with anything here: refer to every member fully qualified.
        var self = $"global::{name.Namespace}.{name.Class}";
        var kernelClass = $"global::{name.Namespace}.{source.ClassName}";
        var tensors = contract.Tensors;
        var signature = string.Join(", ", tensors.Select(t => $"{Ilgpu}.ArrayView<{CSharpType(t)}> {t.Parameter}"));
        var views = string.Join(", ", tensors.Select(t => $"{Ilgpu}.Runtime.ArrayView1D<{CSharpType(t)}, {Ilgpu}.Stride1D.Dense> {t.Parameter}")
            .Concat(contract.Addresses.Select(a => $"long {a.Parameter}")));
        // A kernel that copies by cp.async takes its tensors' device addresses too (LaunchAddress): the view's, on the host.
        var arguments = string.Join(", ", tensors.Select(t => t.Parameter)
            .Concat(contract.Addresses.Select(a => $"{Ilgpu}.Runtime.ArrayViewExtensions.LoadEffectiveAddressAsPtr({tensors[a.TensorIndex].Parameter}).ToInt64()")));
        var written = string.Join(", ", tensors.Where(t => t.Role == TensorRole.Output).Select(Describe));
        var read = string.Join(", ", tensors.Where(t => t.Role == TensorRole.Input).Select(Describe));
        // Lanes that share a reduction combine it by warp shuffles, and a tensor-core kernel (or its
        // emulation off CUDA) splits its block into warps of 32 by thread index: both count on warps of
        // exactly 32 threads. ILGPU's default CPU accelerator has warps of 4, OpenCL devices their own.
        var needsWarpOf32 = state.Schedule.ReduceThreads > 1 || state.Schedule.Mma != Etir.MmaShape.None;

        Line(0, "/// <summary>");
        Line(0, $"/// Launches {Xml(state.Operator.Name)} as tuned: a grid of {Int(contract.GridSize)} groups of {Int(contract.GroupSize)} threads,");
        Line(0, $"/// {Int(contract.SharedMemoryBytes)} bytes of shared memory per group (schedule {Xml(state.Schedule.ToString())}).");
        Line(0, "/// </summary>");
        Line(0, $"public static class {name.Class}");
        Line(0, "{");
        Line(1, "/// <summary>Groups (blocks) in the one-dimensional grid.</summary>");
        Line(1, $"public const int GridSize = {Int(contract.GridSize)};");
        Line(1, "/// <summary>Threads per group.</summary>");
        Line(1, $"public const int GroupSize = {Int(contract.GroupSize)};");
        Line(1, "/// <summary>Static shared memory per group, in bytes.</summary>");
        Line(1, $"public const long SharedMemoryBytes = {Int(contract.SharedMemoryBytes)};");
        Line(1);
        Line(1, $"private delegate void Launcher({Ilgpu}.Runtime.AcceleratorStream stream, {Ilgpu}.KernelConfig config, {views});");
        Line(1);
        Line(1, "// One loaded kernel per accelerator; an entry goes when its accelerator is collected.");
        Line(1, $"private static readonly global::System.Runtime.CompilerServices.ConditionalWeakTable<{Ilgpu}.Runtime.Accelerator, Launcher> s_loaded = new();");
        Line(1);
        Line(1, "/// <summary>");
        Line(1, $"/// Queues the kernel on <paramref name=\"accelerator\"/>'s default stream: it writes {Xml(written)}");
        Line(1, read.Length > 0 ? $"/// and reads {Xml(read)}, each a dense row-major buffer." : "/// as a dense row-major buffer.");
        if (contract.AddsIntoOutput)
        {
            Line(1, $"/// Several groups add partial sums into {Xml(written)} (split reduction): it is cleared to zeros on the same stream first.");
        }
        Line(1, "/// Call <c>accelerator.Synchronize()</c> before reading the result. The first call on an accelerator compiles the kernel for it.");
        Line(1, "/// </summary>");
        Line(1, "/// <exception cref=\"global::System.ArgumentException\">A buffer does not hold exactly its tensor's elements.</exception>");
        Line(1, needsWarpOf32
            ? "/// <exception cref=\"global::System.NotSupportedException\">The accelerator's groups, grid or shared memory are smaller than the kernel needs, or its warps are not of 32 threads.</exception>"
            : "/// <exception cref=\"global::System.NotSupportedException\">The accelerator's groups, grid or shared memory are smaller than the kernel needs.</exception>");
        Line(1, $"public static void {name.Method}({Ilgpu}.Runtime.Accelerator accelerator, {signature})");
        Line(1, "{");
        Line(2, "global::System.ArgumentNullException.ThrowIfNull(accelerator);");
        foreach (var t in tensors)
        {
            Line(2, $"{self}.CheckLength({t.Parameter}.Length, {Int(t.ElementCount)}, \"{Describe(t)}\");");
        }
        Line(2, $"{self}.CheckLimits(accelerator);");
        if (contract.AddsIntoOutput)
        {
            Line(2, $"{Ilgpu}.Runtime.ArrayViewExtensions.MemSetToZero({contract.Output.Parameter}, accelerator.DefaultStream);");
        }
        Line(2, $"{self}.s_loaded.GetValue(accelerator, {self}.Load)(accelerator.DefaultStream, new {Ilgpu}.KernelConfig({self}.GridSize, {self}.GroupSize), {arguments});");
        Line(1, "}");
        Line(1);
        Line(1, $"private static Launcher Load({Ilgpu}.Runtime.Accelerator accelerator)");
        Line(1, "{");
        Line(2, $"var method = typeof({kernelClass}).GetMethod(\"{KernelSource.MethodName}\")!;");
        Line(2, "// On CUDA the tensors compile as global memory (LDG, STG), as gensor compiled the kernel it inspected;");
        Line(2, "// ILGPU's O1, which keeps the kernel's barriers in place, would leave them generic pointers.");
        Line(2, $"var kernel = accelerator is {Ilgpu}.Runtime.Cuda.CudaAccelerator cuda");
        var compile = $"cuda.Backend.Compile({Ilgpu}.Backends.EntryPoints.EntryPointDescription.FromExplicitlyGroupedKernel(method), new {Ilgpu}.Runtime.KernelSpecialization(), new {self}.GlobalTensors())";
        Line(3, contract.Addresses.Count > 0
            ? $"? cuda.LoadKernel({self}.WithRegisters(({Ilgpu}.Backends.PTX.PTXCompiledKernel){compile}))"
            : $"? cuda.LoadKernel({compile})");
        Line(3, ": accelerator.LoadKernel(method);");
        Line(2, "return kernel.CreateLauncherDelegate<Launcher>();");
        Line(1, "}");
        Line(1);
        Line(1, "/// <summary>Specializes the kernel's parameters to global memory (ILGPU's O2 pass, without O2's code placement).</summary>");
        Line(1, $"private readonly struct GlobalTensors : {Ilgpu}.Backends.IBackendHook");
        Line(1, "{");
        Line(2, $"public void InitializedKernelContext({Ilgpu}.IR.IRContext kernelContext, {Ilgpu}.IR.Method kernelMethod) =>");
        Line(3, $"kernelContext.Transform({Ilgpu}.IR.Transformations.Transformer.Create({Ilgpu}.IR.Transformations.TransformerConfiguration.Empty, new {Ilgpu}.IR.Transformations.InferKernelAddressSpaces({Ilgpu}.IR.MemoryAddressSpace.Global)));");
        Line(1);
        Line(2, "// After the back end's passes: removes the casts to generic pointers the first one leaves.");
        Line(2, $"public void OptimizedKernelContext({Ilgpu}.IR.IRContext kernelContext, {Ilgpu}.IR.Method kernelMethod) =>");
        Line(3, $"kernelContext.Transform({Ilgpu}.IR.Transformations.Transformer.Create({Ilgpu}.IR.Transformations.TransformerConfiguration.Empty, new {Ilgpu}.IR.Transformations.InferLocalAddressSpaces()));");
        Line(1);
        Line(2, $"public void FinishedCodeGeneration({Ilgpu}.IR.IRContext context, {Ilgpu}.IR.Method entryPoint)");
        Line(2, "{");
        Line(2, "}");
        Line(1, "}");
        Line(1);
        if (contract.Addresses.Count > 0)
        {
            WithRegisters(Line);
        }
        Line(1, "private static void CheckLength(long length, long expected, string tensor)");
        Line(1, "{");
        Line(2, "if (length != expected)");
        Line(2, "{");
        Line(3, $"throw new global::System.ArgumentException($\"{name.Class}.{name.Method}: the buffer for {{tensor}} holds {{length}} elements; the tensor has {{expected}}\", tensor);");
        Line(2, "}");
        Line(1, "}");
        Line(1);
        Line(1, $"private static void CheckLimits({Ilgpu}.Runtime.Accelerator accelerator)");
        Line(1, "{");
        Line(2, "if (accelerator.MaxNumThreadsPerGroup < GroupSize)");
        Line(2, "{");
        Line(3, $"throw new global::System.NotSupportedException($\"{name.Class}.{name.Method}: {{accelerator.Name}} allows {{accelerator.MaxNumThreadsPerGroup}} threads per group; " +
            "this kernel needs {GroupSize} (ILGPU's CPU accelerator: create it from a CPUDevice with more threads per group, e.g. new CPUDevice(32, 8, 2) allows 256)\");");
        Line(2, "}");
        Line(2, "if (accelerator.MaxGridSize.X < GridSize)");
        Line(2, "{");
        Line(3, $"throw new global::System.NotSupportedException($\"{name.Class}.{name.Method}: {{accelerator.Name}} allows {{accelerator.MaxGridSize.X}} groups in a grid; this kernel needs {{GridSize}}\");");
        Line(2, "}");
        Line(2, "if (accelerator.MaxSharedMemoryPerGroup < SharedMemoryBytes)");
        Line(2, "{");
        Line(3, $"throw new global::System.NotSupportedException($\"{name.Class}.{name.Method}: {{accelerator.Name}} allows {{accelerator.MaxSharedMemoryPerGroup}} bytes of shared memory per group; this kernel needs {{SharedMemoryBytes}}\");");
        Line(2, "}");
        if (needsWarpOf32)
        {
            Line(2, $"if (accelerator.WarpSize != {Int(KernelLowering.WarpSize)})");
            Line(2, "{");
            Line(3, $"throw new global::System.NotSupportedException($\"{name.Class}.{name.Method}: {{accelerator.Name}} has warps of {{accelerator.WarpSize}} threads; this kernel's warp shuffles need warps of {Int(KernelLowering.WarpSize)} " +
                $"(ILGPU's CPU accelerator: create it from a CPUDevice with {Int(KernelLowering.WarpSize)} threads per warp, e.g. new CPUDevice({Int(KernelLowering.WarpSize)}, 8, 2))\");");
            Line(2, "}");
        }
        Line(1, "}");
        Line(0, "}");
        return w.ToString();
    }

    /// <summary>
    /// What a kernel with cp.async needs to compile as gensor compiled it: its PTX with the inline-assembly slots in
    /// registers (<see cref="Emission.PtxLocalPromotion"/>, whose source the launcher carries), loaded as a compiled
    /// kernel by reflection (ILGPU makes one of PTX text only internally; reflection works on every .NET ILGPU runs on).
    /// </summary>
    private static void WithRegisters(Action<int, string> line)
    {
        line(1, "/// <summary>The compiled kernel with its inline-assembly operands' local slots in registers, as gensor compiled the kernel it inspected.</summary>");
        line(1, $"private static {Ilgpu}.Backends.CompiledKernel WithRegisters({Ilgpu}.Backends.PTX.PTXCompiledKernel compiled)");
        line(1, "{");
        line(2, "var ptx = PtxLocalPromotion.Promote(compiled.PTXAssembly);");
        line(2, "if ((object)ptx == compiled.PTXAssembly)");
        line(2, "{");
        line(3, "return compiled;");
        line(2, "}");
        line(2, "const global::System.Reflection.BindingFlags flags = global::System.Reflection.BindingFlags.Instance | global::System.Reflection.BindingFlags.NonPublic;");
        line(2, $"var entryPoint = typeof({Ilgpu}.Backends.CompiledKernel).GetProperty(\"EntryPoint\", flags)!.GetValue(compiled)!;");
        line(2, $"var constructor = typeof({Ilgpu}.Backends.PTX.PTXCompiledKernel).GetConstructor(flags, null, new[] {{ typeof({Ilgpu}.Context), typeof({Ilgpu}.Backends.EntryPoints.EntryPoint), typeof({Ilgpu}.Backends.CompiledKernel.KernelInfo), typeof(string) }}, null)!;");
        line(2, $"return ({Ilgpu}.Backends.CompiledKernel)constructor.Invoke(new object[] {{ compiled.Context, entryPoint, compiled.Info, ptx }});");
        line(1, "}");
        line(1, "");
        foreach (var text in PromotionSource())
        {
            line(1, text);
        }
        line(1, "");
    }

    /// <summary>PtxLocalPromotion's source as a nested class: without its namespace line, private.</summary>
    private static IEnumerable<string> PromotionSource()
    {
        using var stream = typeof(LauncherWriter).Assembly.GetManifestResourceStream("PtxLocalPromotion.cs")
            ?? throw new InvalidOperationException("the PtxLocalPromotion.cs resource is missing from Gensor.Backend");
        using var reader = new StreamReader(stream);
        var lines = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("namespace ", StringComparison.Ordinal)) + 1;
        return lines[start..].SkipWhile(l => l.Length == 0)
            .Select(l => l.Replace("public static class PtxLocalPromotion", "private static class PtxLocalPromotion", StringComparison.Ordinal));
    }

    /// <summary>The C# element type of a contract element type.</summary>
    private static string CSharpType(LaunchTensor tensor) => tensor.Type == Etir.ElementType.F16 ? $"{Ilgpu}.Half" : ElementTypeNames.CSharp(tensor.Type);

    private static string Describe(LaunchTensor t) => $"{t.Name}[{string.Join(",", t.Shape)}]";

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Xml(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
