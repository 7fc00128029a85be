using System.Globalization;
using System.Numerics;
using System.Text;
using Gensor.Backend.Lowering.Ir;
using Gensor.Etir;

namespace Gensor.Backend.Lowering;

/// <summary>
/// Prints a <see cref="KernelIr"/> as the C# source of an explicitly grouped
/// ILGPU kernel: a static class with the launch constants and the kernel
/// method. ILGPU's intrinsics (XMath, Warp, Group) map to each back end's own,
/// so the same source runs on CUDA, OpenCL and the CPU accelerator. Where the
/// back ends must differ, the source tests <c>CudaAsm.IsSupported</c>, which ILGPU
/// folds per back end: a window that may start outside its buffer is a sub-view
/// on CUDA only, since the CPU accelerator checks a sub-view's bounds.
/// </summary>
public static class CSharpPrinter
{
    /// <summary>The source of <paramref name="kernel"/> in class <paramref name="className"/>, after the comment lines <paramref name="header"/>.</summary>
    public static string Print(KernelIr kernel, string className, IEnumerable<string> header)
    {
        var w = new SourceWriter();
        using (OpenClass(w, header, Usings(["ILGPU", "ILGPU.Algorithms", "ILGPU.Runtime", "ILGPU.Util"], kernel.Parameters.Select(p => p.Element)), className, kernel.GridSize, kernel.GroupSize))
        {
            // The device addresses of the tensors copied asynchronously come after the tensors (LaunchContract.Addresses).
            var addresses = kernel.Parameters.Where(p => p.Address is not null).Select(p => $", long {p.Address}");
            using (w.Block($"public static void {KernelSource.MethodName}({Signature(kernel.Parameters.Select(p => (p.Name, p.Element)))}{string.Concat(addresses)})"))
            {
                // Into the global space once (cvta.to.global) rather than in every cp.async, which ptxas repeated per copy
                // (GPT-2 QKV's pick for h100, 8 copies a stage: 167 -> 130 registers; ptxas 11.8, sm_90).
                foreach (var address in kernel.Parameters.Select(p => p.Address).OfType<string>())
                {
                    w.Line($"{address} = GlobalAddress({address});");
                }
                new Body(w, kernel).Write();
            }
            if (kernel.Statements.OfType<IrStmt.AtomicAdd>().Any())
            {
                AddPartialSumMethod(w);
            }
            var asyncWidths = kernel.Statements.OfType<IrStmt.AsyncCopy>().Select(copy => copy.Width).Distinct().Order().ToArray();
            if (asyncWidths.Length > 0)
            {
                AsyncCopyMethods(w, asyncWidths);
            }
            // Only the conversions a kernel uses are written, so float32 kernels keep their text.
            if (kernel.Parameters[0].Element == ElementType.F16)
            {
                w.Line();
                ElementTypeNames.WriteHalfConversions(w);
            }
            if (kernel.Parameters.Any(p => p.Element == ElementType.BF16))
            {
                w.Line();
                ElementTypeNames.WriteBFloat16Conversions(w);
            }
        }
        return w.ToString();
    }

    /// <summary>
    /// The usings of a kernel, and for an f16 one an alias that names ILGPU's Half: a project with
    /// implicit usings (the SDK's default) imports System, whose Half would make the name ambiguous.
    /// </summary>
    internal static IEnumerable<string> Usings(IEnumerable<string> namespaces, IEnumerable<ElementType> elements) =>
        elements.Contains(ElementType.F16) ? [.. namespaces, "Half = ILGPU.Half"] : namespaces;

    /// <summary>
    /// Writes the header comments, the usings, and opens the kernel's static class with its
    /// launch constants; disposing the result closes the class. Every kernel writer starts so.
    /// </summary>
    internal static IDisposable OpenClass(SourceWriter w, IEnumerable<string> header, IEnumerable<string> usings, string className, long gridSize, int groupSize)
    {
        foreach (var line in header)
        {
            w.Line("// " + line);
        }
        foreach (var name in usings)
        {
            w.Line($"using {name};");
        }
        w.Line();
        var scope = w.Block($"public static class {className}");
        w.Line("/// <summary>Blocks in the one-dimensional grid.</summary>");
        w.Line($"public const int GridSize = {Int(gridSize)};");
        w.Line("/// <summary>Threads per block.</summary>");
        w.Line($"public const int GroupSize = {Int(groupSize)};");
        w.Line();
        return scope;
    }

    /// <summary>What a kernel tests where CUDA's code differs from the other back ends' (ILGPU folds it per back end).</summary>
    private const string CudaOnly = "global::ILGPU.Runtime.Cuda.CudaAsm.IsSupported";

    /// <summary>The attribute every helper of a kernel carries: ILGPU inlines it into the kernel.</summary>
    internal const string Inline = "[System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]";

    /// <summary>
    /// The helpers of asynchronous copies (<see cref="IrStmt.AsyncCopy"/>): SharedBase, the shared-space address of the
    /// kernel's one shared allocation (ILGPU names a kernel's first <c>__shared_alloca0</c>); CopyAsyncN per width N,
    /// <c>cp.async</c> of N floats (<see cref="CopyAsyncInstruction"/>), zero-filled (source size 0, from the tensor's start) where the bounds check
    /// fails; WaitCopies, <c>cp.async.wait_all</c>. Elsewhere than on CUDA the copy is a load and a store through the same
    /// indices, so the CPU runs check them; only the addresses are CUDA's alone.
    /// </summary>
    private static void AsyncCopyMethods(SourceWriter w, IEnumerable<int> widths)
    {
        w.Line();
        SharedBaseMethod(w);
        w.Line();
        GlobalAddressMethod(w);
        foreach (var width in widths)
        {
            var (type, bytes, shift) = width switch
            {
                4 => ("Float4", 16, 4),
                2 => ("Float2", 8, 3),
                _ => ("float", 4, 2),
            };
            w.Line();
            w.Line($"/// <summary>Copies {Int(bytes)} bytes from unit <paramref name=\"from\"/> + <paramref name=\"fromConstant\"/> of <paramref name=\"global\"/> (at <paramref name=\"globalAddress\"/>) into unit <paramref name=\"to\"/> of <paramref name=\"shared\"/> (at <paramref name=\"sharedAddress\"/>), or zeros unless <paramref name=\"valid\"/>.</summary>");
            w.Line(Inline);
            using (w.Block($"public static void CopyAsync{Int(width)}(ArrayView<{type}> shared, int to, uint sharedAddress, ArrayView<{type}> global, int from, int fromConstant, long globalAddress, bool valid)"))
            {
                using (w.Block($"if ({CudaOnly})"))
                {
                    w.Line($"uint toAddress = sharedAddress + ((uint)to << {Int(shift)});");
                    w.Line("// The constant apart: the copies of a stage share one 64-bit base, and ptxas adds each constant to it.");
                    w.Line($"long fromAddress = valid ? globalAddress + ((long)from << {Int(shift)}) + ((long)fromConstant << {Int(shift)}) : globalAddress;");
                    w.Line($"int size = valid ? {Int(bytes)} : 0;");
                    w.Line($"global::ILGPU.Runtime.Cuda.CudaAsm.Emit(\"{CopyAsyncInstruction(bytes, sourceSize: true, globalAddress: true)}\", toAddress, fromAddress, size);");
                }
                using (w.Block("else"))
                {
                    w.Line("shared[to] = valid ? global[from + fromConstant] : default;");
                }
            }
        }
        w.Line();
        WaitCopiesMethod(w);
    }

    /// <summary>
    /// The inline PTX of one <c>cp.async</c> of <paramref name="bytes"/> (4, 8 or 16) from the address in operand 1
    /// to the shared address in operand 0: <c>.cg</c> (through L2 only, as a block's stage is read once) for 16 bytes,
    /// <c>.ca</c>, the only kind of the smaller sizes, otherwise; with <paramref name="sourceSize"/>, operand 2 says how
    /// many bytes to read, and the rest of the copy is zeros. Operand 1 is a generic address, converted here, unless
    /// <paramref name="globalAddress"/> says it is in the global space already (<see cref="GlobalAddressMethod"/>).
    /// </summary>
    internal static string CopyAsyncInstruction(int bytes, bool sourceSize, bool globalAddress) =>
        $"{{ {(globalAddress ? "" : ".reg .u64 g; cvta.to.global.u64 g, %1; ")}cp.async.{(bytes == 16 ? "cg" : "ca")}.shared.global [%0], [{(globalAddress ? "%1" : "g")}], {Int(bytes)}{(sourceSize ? ", %2" : "")}; }}";

    /// <summary>
    /// AddPartialSum: a block's partial sum added into an output shared with other blocks (split-K). CUDA adds it
    /// with its atomic float add. Elsewhere the add is a compare-and-swap of the value's bits: ILGPU 1.5's CPU
    /// accelerator retries its float add until the value it read equals itself, which a NaN never does, so a NaN
    /// partial sum hung the kernel for good (found by fuzzing: sum of sqrt over negative inputs, split=2).
    /// </summary>
    private static void AddPartialSumMethod(SourceWriter w)
    {
        w.Line();
        w.Line("/// <summary>Adds <paramref name=\"value\"/> to element <paramref name=\"index\"/> of <paramref name=\"output\"/> atomically, NaN included.</summary>");
        w.Line(Inline);
        using (w.Block("public static void AddPartialSum(ArrayView1D<float, Stride1D.Dense> output, int index, float value)"))
        {
            using (w.Block($"if ({CudaOnly})"))
            {
                w.Line("Atomic.Add(ref output[index], value);");
                w.Line("return;");
            }
            w.Line("var bits = output.Cast<float, uint>();");
            w.Line("uint seen = bits[index];");
            using (w.Block("while (true)"))
            {
                w.Line("uint sum = Interop.FloatAsInt(Interop.IntAsFloat(seen) + value);");
                w.Line("uint found = Atomic.CompareExchange(ref bits[index], seen, sum);");
                using (w.Block("if (found == seen)"))
                {
                    w.Line("return;");
                }
                w.Line("seen = found;");
            }
        }
    }

    /// <summary>GlobalAddress: a generic address (a tensor's, as the host passes it) in the global space on CUDA, unchanged elsewhere.</summary>
    internal static void GlobalAddressMethod(SourceWriter w) => AddressMethod(w,
        "The global-space address of a tensor's generic address <paramref name=\"generic\"/> on CUDA (unchanged elsewhere, where nothing uses it).",
        "long", "GlobalAddress", "generic", "cvta.to.global.u64 %0, %1;", "generic");

    /// <summary>SharedBase: the shared-space address of a kernel's first shared allocation on CUDA, 0 elsewhere.</summary>
    internal static void SharedBaseMethod(SourceWriter w) => AddressMethod(w,
        "The shared-space address of the kernel's shared allocation on CUDA (0 elsewhere, where nothing uses it).",
        "uint", "SharedBase", null, "mov.u32 %0, __shared_alloca0;", "0u");

    /// <summary>
    /// A method <paramref name="name"/> that returns the <paramref name="type"/> which the inline PTX <paramref name="asm"/>
    /// writes to %0 (from its <paramref name="parameter"/> in %1, if any) on CUDA, and <paramref name="otherwise"/> elsewhere.
    /// </summary>
    private static void AddressMethod(SourceWriter w, string summary, string type, string name, string? parameter, string asm, string otherwise)
    {
        w.Line($"/// <summary>{summary}</summary>");
        w.Line(Inline);
        using (w.Block($"public static {type} {name}({(parameter is null ? "" : $"{type} {parameter}")})"))
        {
            using (w.Block($"if ({CudaOnly})"))
            {
                w.Line($"global::ILGPU.Runtime.Cuda.Output<{type}> address = default;");
                if (parameter is not null)
                {
                    w.Line($"global::ILGPU.Runtime.Cuda.Input<{type}> input = {parameter};");
                }
                w.Line($"global::ILGPU.Runtime.Cuda.CudaAsm.EmitRef(\"{asm}\", ref address{(parameter is null ? "" : ", ref input")});");
                w.Line("return address.Value;");
            }
            w.Line($"return {otherwise};");
        }
    }

    /// <summary>WaitCopies: <c>cp.async.wait_all</c> on CUDA, nothing elsewhere (where the copies are done when they return).</summary>
    internal static void WaitCopiesMethod(SourceWriter w)
    {
        w.Line("/// <summary>Waits for the thread's asynchronous copies (a barrier then shows every thread's to the block).</summary>");
        w.Line(Inline);
        using (w.Block("public static void WaitCopies()"))
        {
            using (w.Block($"if ({CudaOnly})"))
            {
                w.Line("global::ILGPU.Runtime.Cuda.CudaAsm.Emit(\"cp.async.wait_all;\");");
            }
        }
    }

    /// <summary>The kernel method's parameter list: one dense view of its element type per tensor.</summary>
    internal static string Signature(IEnumerable<(string Name, ElementType Type)> parameters) =>
        string.Join(", ", parameters.Select(p => $"ArrayView1D<{ElementTypeNames.CSharp(p.Type)}, Stride1D.Dense> {p.Name}"));

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class Body(SourceWriter w, KernelIr kernel)
    {
        // Views of a buffer as 2- or 4-wide vectors, declared once at the top.
        private readonly Dictionary<(KernelBuffer, int), string> _views = [];

        // Per window that may start outside its buffer, the variable its accesses are indexed from.
        private readonly Dictionary<KernelBuffer, string> _windowOrigins = [];

        public void Write()
        {
            SharedBuffers();
            var windows = kernel.Statements.OfType<IrStmt.DeclareWindow>().ToArray();
            var windowed = windows.Select(window => window.Window).ToHashSet();
            // A window of vectors is cut from its buffer's vector view (DeclareWindow below).
            var sources = windows.Where(window => window.Width > 1).Select(window => (window.Buffer, window.Width));
            foreach (var (buffer, width) in VectorAccesses().Concat(sources).Distinct())
            {
                if (_views.ContainsKey((buffer, width)) || windowed.Contains(buffer))
                {
                    continue;
                }
                var name = $"{buffer.Name}_{width}";
                var type = width == 4 ? "Float4" : "Float2";
                w.Line(buffer.Scope == BufferScope.Global
                    ? $"var {name} = {buffer.Name}.AsContiguous().Cast<{type}>();"
                    : $"var {name} = {(buffer.QuadAligned ? buffer.Name + "_4" : buffer.Name)}.Cast<{type}>();");
                _views[(buffer, width)] = name;
            }
            Statement(kernel.Body, braces: false);
        }

        /// <summary>
        /// The shared buffers: an allocation each (of 16-byte units where the buffer is a whole number of them, which
        /// aligns it for 128-bit accesses), or views of one allocation of 16-byte units (<see cref="KernelIr.OneSharedAllocation"/>)
        /// and the address of its start, which the asynchronous copies add their buffer's offset to.
        /// </summary>
        private void SharedBuffers()
        {
            var one = kernel.OneSharedAllocation;
            if (one)
            {
                w.Line($"var g_shared = SharedMemory.Allocate<Float4>({Int(kernel.SharedBytes / 16)});");
            }
            foreach (var buffer in kernel.Shared)
            {
                var offset = one ? kernel.SharedOffset(buffer) : 0;
                if (buffer.QuadAligned)
                {
                    var quads = one ? $"g_shared.SubView({Int(offset / 4)}, {Int(buffer.Elements / 4)})" : $"SharedMemory.Allocate<Float4>({Int(buffer.Elements / 4)})";
                    w.Line($"var {buffer.Name}_4 = {quads};");
                    w.Line($"var {buffer.Name} = {buffer.Name}_4.Cast<float>();");
                    _views[(buffer, 4)] = $"{buffer.Name}_4";
                }
                else
                {
                    w.Line($"var {buffer.Name} = {(one ? $"g_shared.Cast<float>().SubView({Int(offset)}, {Int(buffer.Elements)})" : $"SharedMemory.Allocate<float>({Int(buffer.Elements)})")};");
                }
            }
            if (one)
            {
                w.Line("uint g_sbase = SharedBase();");
            }
        }

        private IEnumerable<(KernelBuffer, int)> VectorAccesses() => AllVectorAccesses().Where(access => access.Item1.Element == ElementType.F32);

        private IEnumerable<(KernelBuffer, int)> AllVectorAccesses()
        {
            foreach (var statement in kernel.Statements)
            {
                if (statement is IrStmt.Store { Width: > 1 } vectorStore)
                {
                    yield return (vectorStore.Buffer, vectorStore.Width);
                }
                if (statement is IrStmt.AsyncCopy { Width: > 1 } copy)
                {
                    yield return (copy.Shared, copy.Width);
                    yield return (copy.Global, copy.Width);
                }
                foreach (var load in statement.Expressions().SelectMany(expression => expression.Walk()).OfType<IrExpr.Load>())
                {
                    if (load.Width > 1)
                    {
                        yield return (load.Buffer, load.Width);
                    }
                }
            }
        }

        private void Statement(IrStmt statement, bool braces = true)
        {
            switch (statement)
            {
                case IrStmt.Seq seq when seq.Scoped && braces:
                    using (w.Block(""))
                    {
                        foreach (var s in seq.Body)
                        {
                            Statement(s);
                        }
                    }
                    break;
                case IrStmt.Seq seq:
                    foreach (var s in seq.Body)
                    {
                        Statement(s);
                    }
                    break;
                case IrStmt.Declare declare:
                    w.Line($"{TypeName(declare.Variable.Type)} {declare.Variable.Name} = {(declare.Init is null ? Default(declare.Variable.Type) : Expr(declare.Init))};");
                    break;
                case IrStmt.Assign assign:
                    w.Line($"{assign.Variable.Name} = {Expr(assign.Value)};");
                    break;
                case IrStmt.DeclareWindow window:
                    // A parameter is an ArrayView1D (its BaseView a plain ArrayView); its vector view already is one.
                    var whole = window.Width > 1 ? View(window.Buffer, window.Width)
                        : window.Buffer.Scope == BufferScope.Global ? $"{window.Buffer.Name}.BaseView"
                        : window.Buffer.Name;
                    if (window.MayStartOutside)
                    {
                        // The CPU accelerator checks a sub-view's start and every index into it, so there the
                        // window is the whole buffer and its accesses are indexed from the offset. ILGPU folds
                        // CudaAsm.IsSupported to a constant per back end: the CUDA kernel keeps only the sub-view.
                        var origin = window.Window.Name + "_at";
                        w.Line($"var {window.Window.Name} = {CudaOnly} ? {whole}.SubView({Expr(window.Offset)}) : {whole};");
                        w.Line($"int {origin} = {CudaOnly} ? 0 : {Expr(window.Offset)};");
                        _windowOrigins[window.Window] = origin;
                    }
                    else
                    {
                        w.Line($"var {window.Window.Name} = {whole}.SubView({Expr(window.Offset)});");
                    }
                    _views[(window.Window, window.Width)] = window.Window.Name;
                    break;
                case IrStmt.AtomicAdd add:
                    w.Line($"AddPartialSum({add.Buffer.Name}, {Expr(add.Index)}, {Expr(add.Value)});");
                    break;
                case IrStmt.Store { Buffer.Element: ElementType.F32 } store:
                    w.Line($"{View(store.Buffer, store.Width)}[{Expr(store.Index)}] = {Expr(store.Value)};");
                    break;
                case IrStmt.Store { Width: 1 } store:
                    w.Line($"{store.Buffer.Name}[{Expr(store.Index)}] = {ElementTypeNames.Narrow(store.Buffer.Element, Expr(store.Value))};");
                    break;
                case IrStmt.Store store:
                    // A 16-bit buffer has no vector view: the lanes are rounded and stored one by one.
                    using (w.Block(""))
                    {
                        var packed = store.Value as IrExpr.Pack;
                        if (packed is null)
                        {
                            w.Line($"var g_v = {Expr(store.Value)};");
                        }
                        for (var lane = 0; lane < store.Width; lane++)
                        {
                            var value = packed is null ? $"g_v.{"XYZW"[lane]}" : Expr(packed.Lanes[lane]);
                            w.Line($"{store.Buffer.Name}[{Expr(ElementIndex(store.Index, store.Width, lane))}] = {ElementTypeNames.Narrow(store.Buffer.Element, value)};");
                        }
                    }
                    break;
                case IrStmt.For loop:
                    var i = loop.Index.Name;
                    var step = loop.Step == 1 ? $"{i}++" : $"{i} += {Int(loop.Step)}";
                    using (w.Block($"for (int {i} = {Int(loop.Start)}; {i} < {Int(loop.End)}; {step})"))
                    {
                        Statement(loop.Body, braces: false);
                    }
                    break;
                case IrStmt.If branch:
                    using (w.Block($"if ({Expr(branch.Condition)})"))
                    {
                        Statement(branch.Then, braces: false);
                    }
                    break;
                case IrStmt.Barrier:
                    w.Line("Group.Barrier();");
                    break;
                case IrStmt.AsyncCopy copy:
                    var sharedAddress = $"g_sbase + {Int(kernel.SharedOffset(copy.Shared) * 4)}u";
                    var global = copy.Width > 1 ? View(copy.Global, copy.Width) : $"{copy.Global.Name}.BaseView";
                    var (from, fromConstant) = SplitConstant(copy.GlobalIndex);
                    w.Line($"CopyAsync{Int(copy.Width)}({View(copy.Shared, copy.Width)}, {Expr(copy.SharedIndex)}, {sharedAddress}, {global}, {Expr(from)}, {Int(fromConstant)}, {copy.Global.Address}, {(copy.Valid is null ? "true" : Expr(copy.Valid))});");
                    break;
                case IrStmt.WaitAsyncCopies:
                    w.Line("WaitCopies();");
                    break;
                case IrStmt.Comment comment:
                    w.Line("// " + comment.Text);
                    break;
                default:
                    throw new NotSupportedException($"statement {statement.GetType().Name}");
            }
        }

        private string View(KernelBuffer buffer, int width) => width == 1 ? buffer.Name : _views[(buffer, width)];

        private static string TypeName(IrType type) => type switch
        {
            IrType.Int => "int",
            IrType.Bool => "bool",
            IrType.Float => "float",
            IrType.Float2 => "Float2",
            IrType.Float4 => "Float4",
            _ => throw new NotSupportedException(type.ToString()),
        };

        private static string Default(IrType type) => type switch
        {
            IrType.Int => "0",
            IrType.Bool => "false",
            IrType.Float => "0f",
            _ => "default",
        };

        private string Expr(IrExpr expr) => expr switch
        {
            IrExpr.Int i => Int(i.Value),
            IrExpr.Bool b => b.Value ? "true" : "false",
            IrExpr.Float f => CSharpExpression.FloatLiteral(f.Value),
            IrExpr.Ref r => r.Variable.Name,
            IrExpr.Linear linear => Linear(linear),
            IrExpr.Special { Which: SpecialValue.BlockIndex } => "Grid.IdxX",
            IrExpr.Special { Which: SpecialValue.ThreadIndex } => "Group.IdxX",
            IrExpr.Binary { Op: BinaryOperator.IndexDivide or BinaryOperator.IndexRemainder, Right: IrExpr.Int { Value: > 0 } divisor } b =>
                IndexDivision(b.Op == BinaryOperator.IndexRemainder, Expr(b.Left), divisor.Value),
            IrExpr.Binary b => BinaryText(b.Op, Expr(b.Left), Expr(b.Right)),
            IrExpr.Unary u => CSharpExpression.UnaryText(u.Op, Expr(u.Operand)),
            IrExpr.Select s => $"({Expr(s.Condition)} ? {Expr(s.Then)} : {Expr(s.Else)})",
            IrExpr.InRange r => $"(uint)({Expr(r.Index)}) < {Int(r.Extent)}u",
            IrExpr.BitSet b => $"(({Expr(b.Value)} & {Int(1L << b.Bit)}) != 0)",
            IrExpr.Load { Buffer.Element: ElementType.F32 } load => $"{View(load.Buffer, load.Width)}[{Index(load.Buffer, load.Index)}]",
            IrExpr.Load { Width: 1 } load => ElementTypeNames.Widen(load.Buffer.Element, $"{load.Buffer.Name}[{Index(load.Buffer, load.Index)}]"),
            // A 16-bit buffer has no vector view: the lanes are loaded and widened one by one.
            IrExpr.Load load => $"new {(load.Width == 4 ? "Float4" : "Float2")}({string.Join(", ", Enumerable.Range(0, load.Width)
                .Select(lane => ElementTypeNames.Widen(load.Buffer.Element, $"{load.Buffer.Name}[{Index(load.Buffer, ElementIndex(load.Index, load.Width, lane))}]")))})",
            IrExpr.Lane lane => $"{Expr(lane.Vector)}.{"XYZW"[lane.Index]}",
            IrExpr.Pack pack => $"new {(pack.Lanes.Length == 4 ? "Float4" : "Float2")}({string.Join(", ", pack.Lanes.Select(Expr))})",
            IrExpr.ShuffleXor x => $"Warp.ShuffleXor({Expr(x.Value)}, {Int(x.LaneMask)})",
            _ => throw new NotSupportedException($"expression {expr.GetType().Name}"),
        };

        /// <summary>An index into <paramref name="buffer"/>, from its origin when it is a window that may start outside its buffer.</summary>
        private string Index(KernelBuffer buffer, IrExpr index) =>
            _windowOrigins.TryGetValue(buffer, out var origin) ? $"{origin} + {Expr(index)}" : Expr(index);

        /// <summary>
        /// <paramref name="index"/> as a variable part and a constant (its sums' and scaled sums' constants): the
        /// 32-bit sum of both may not be split once widened to 64 bits, so ptxas could not take the constant apart.
        /// </summary>
        private static (IrExpr Variable, long Constant) SplitConstant(IrExpr index)
        {
            switch (index)
            {
                case IrExpr.Int constant:
                    return (new IrExpr.Int(0), constant.Value);
                case IrExpr.Linear linear:
                    return (linear with { Constant = 0 }, linear.Constant);
                case IrExpr.Binary { Op: BinaryOperator.Add } sum:
                    var (left, a) = SplitConstant(sum.Left);
                    var (right, b) = SplitConstant(sum.Right);
                    return (left is IrExpr.Int { Value: 0 } ? right : right is IrExpr.Int { Value: 0 } ? left : sum with { Left = left, Right = right }, a + b);
                case IrExpr.Binary { Op: BinaryOperator.Multiply, Right: IrExpr.Int factor } product:
                    var (scaled, c) = SplitConstant(product.Left);
                    return (scaled is IrExpr.Int { Value: 0 } ? scaled : product with { Left = scaled }, c * factor.Value);
                default:
                    return (index, 0);
            }
        }

        /// <summary>The element index of lane <paramref name="lane"/> of the vector at <paramref name="index"/> (in vectors of <paramref name="width"/>).</summary>
        private static IrExpr ElementIndex(IrExpr index, int width, int lane) => index switch
        {
            IrExpr.Linear linear => IrExpr.Sum((width, linear), (1, IrExpr.Lin(lane))),
            IrExpr.Int constant => new IrExpr.Int((constant.Value * width) + lane),
            _ => new IrExpr.Binary(BinaryOperator.Add, new IrExpr.Binary(BinaryOperator.Multiply, new IrExpr.Int(width), index), new IrExpr.Int(lane)),
        };

        /// <summary>
        /// An affine index in 32-bit arithmetic. Every index the front end accepts fits an int, but a
        /// coefficient need not: a block's stride times a block index that is always 0 (one block along
        /// the axis) can pass 2^31, and a C# literal that large is a long, which an int cannot take.
        /// Each coefficient is written modulo 2^32 instead: int arithmetic wraps modulo 2^32, so a
        /// sum whose true value fits an int is exact whatever its terms.
        /// </summary>
        private static string Linear(IrExpr.Linear linear)
        {
            var text = new StringBuilder();
            foreach (var (wide, variable) in linear.Terms)
            {
                var coefficient = Wrapped(wide);
                var term = coefficient == int.MinValue ? $"int.MinValue * {variable.Name}"
                    : Math.Abs(coefficient) == 1 ? variable.Name
                    : $"{Int(Math.Abs(coefficient))} * {variable.Name}";
                var negative = coefficient < 0 && coefficient != int.MinValue;
                text.Append(text.Length == 0 ? (negative ? "-" : "") : (negative ? " - " : " + ")).Append(term);
            }
            var constant = Wrapped(linear.Constant);
            if (constant != 0 || text.Length == 0)
            {
                var magnitude = constant == int.MinValue ? "int.MinValue" : Int(Math.Abs(constant));
                text.Append(text.Length == 0 ? (constant == int.MinValue ? magnitude : Int(constant))
                    : (constant < 0 && constant != int.MinValue ? " - " : " + ") + magnitude);
            }
            var simple = linear.Terms.Length == 0 || (linear.Terms.Length == 1 && constant == 0 && Math.Abs(Wrapped(linear.Terms[0].Coefficient)) == 1);
            return simple ? text.ToString() : $"({text})";
        }

        private static long Wrapped(long value) => unchecked((int)value);

        /// <summary>
        /// A non-negative index divided by a positive constant, or its remainder, without a
        /// division instruction (<see cref="ConstantDivision"/>): a shift or a mask for a power of
        /// two, else a multiply-high and a shift; the remainder is the index less the divisor times the quotient.
        /// </summary>
        private static string IndexDivision(bool remainder, string index, long divisor)
        {
            if (divisor == 1)
            {
                return remainder ? "0" : index;
            }
            if (BitOperations.IsPow2(divisor))
            {
                return remainder ? $"({index} & {Int(divisor - 1)})" : $"({index} >> {BitOperations.Log2((ulong)divisor)})";
            }
            if (ConstantDivision.MultiplyHigh(divisor) is not var (multiplier, shift))
            {
                return BinaryText(remainder ? BinaryOperator.IndexRemainder : BinaryOperator.IndexDivide, index, Int(divisor));
            }
            var quotient = $"((int)(((ulong)(uint){index} * {multiplier}UL) >> {shift}))";
            return remainder ? $"({index} - {Int(divisor)} * {quotient})" : quotient;
        }

        private static string BinaryText(BinaryOperator op, string l, string r) => op switch
        {
            BinaryOperator.Add => $"({l} + {r})",
            BinaryOperator.Subtract => $"({l} - {r})",
            BinaryOperator.Multiply => $"({l} * {r})",
            BinaryOperator.Divide => $"({l} / {r})",
            BinaryOperator.Remainder => $"({l} % {r})",
            BinaryOperator.IndexDivide => $"((int)((uint){l} / (uint){r}))",
            BinaryOperator.IndexRemainder => $"((int)((uint){l} % (uint){r}))",
            BinaryOperator.Max => $"XMath.Max({l}, {r})",
            BinaryOperator.Min => $"XMath.Min({l}, {r})",
            BinaryOperator.Less => $"({l} < {r})",
            BinaryOperator.And => $"({l} && {r})",
            _ => throw new NotSupportedException($"binary {op}"),
        };
    }
}
