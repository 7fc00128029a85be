using System.Collections.Immutable;
using Gensor.Analysis;
using Gensor.Backend.Launch;
using Gensor.Backend.Lowering.Ir;
using Gensor.Etir;

namespace Gensor.Backend.Lowering;

public static partial class KernelLowering
{
    private sealed partial class Lowerer
    {
        // ---- Copies of staged boxes ---------------------------------------------------------

        /// <summary>
        /// Box coordinates of one copy chunk: its offsets in shared memory and in the tensor (for a
        /// copy through a window, from the thread's first chunk on: <see cref="CopiesThroughWindow"/>),
        /// the coordinates its bounds checks need and whether it exists, as variables or expressions;
        /// <paramref name="Setup"/> declares the variables where the chunk is copied (empty when
        /// they are declared once, before the stage loop).
        /// </summary>
        private sealed record ChunkCoordinates(IrExpr SharedOffset, IrExpr GlobalOffset, IrExpr?[] Coordinate, IrExpr? Valid, ImmutableArray<IrStmt> Setup);

        private readonly Dictionary<(int, int), ChunkCoordinates> _chunks = [];

        private bool CopyLooped(int r)
        {
            var tile = new int[_a.AxisCount];
            _a.BlockStageTile(_s, tile);
            var plan = _a.Copy(r, _s);
            return !_a.HoistsCopy(r, _s, tile, plan.Width, plan.IterationsPerThread);
        }

        /// <summary>
        /// A thread's chunks of a box lie a constant number of elements apart (threads × width), so
        /// only its first chunk's box coordinates take divisions, once, before the stage loop. Each
        /// later chunk adds the constant's digits to them where it is copied, digit by digit in the
        /// copy's runs with a carry when a digit passes its run's extent: a comparison and a
        /// selected constant per run, where a division per chunk and run costs multiply-highs and
        /// keeping every chunk's offsets costs two registers per chunk for the whole kernel.
        /// </summary>
        private IEnumerable<IrStmt> CopyCoordinates()
        {
            var tid = Int("g_tid");
            for (var r = 0; r < _reads.Length; r++)
            {
                if (!Staged(r) || CopyLooped(r))
                {
                    continue;
                }
                var plan = _a.Copy(r, _s);
                var first = IrExpr.Sum([(plan.Width, tid)]);
                // The first chunk's digit in each copy run: its coordinates, and where the later chunks start from.
                var runs = CopyRuns(r);
                var digits = new Variable[runs.Count];
                var largestDigit = new long[runs.Count];
                long after = 1;
                for (var i = runs.Count - 1; i >= 0; i--)
                {
                    // The block's threads may not reach a run's last digit (128 threads, 8 chunks of
                    // 16 elements per channel row: the channel digit stays below 8); then the digit
                    // needs no remainder, and ChunkAfterFirst drops the carries it can never make.
                    var reached = (long)plan.Width * (Threads - 1) / after;
                    largestDigit[i] = Math.Min(reached, runs[i].Extent - 1);
                    digits[i] = Int($"g_cd{r}_{i}");
                    yield return new IrStmt.Declare(digits[i], reached == 0 ? new IrExpr.Int(0) : reached < runs[i].Extent ? Quotient(first, after) : DivRem(first, after, runs[i].Extent));
                    after *= runs[i].Extent;
                }
                var (statements, chunk) = Coordinates(r, first, $"{r}", hoist: true, partial: false, digits);
                foreach (var statement in statements)
                {
                    yield return statement;
                }
                _firstChunkOffset[r] = chunk.GlobalOffset;
                for (var it = 0; it < plan.IterationsPerThread; it++)
                {
                    var step = (long)it * Threads * plan.Width;
                    var partial = (long)(it + 1) * Threads * plan.Width > plan.Elements;
                    _chunks[(r, it)] = it == 0 && !partial
                        ? CopiesThroughWindow(r) ? chunk with { GlobalOffset = new IrExpr.Int(0) } : chunk
                        : ChunkAfterFirst(r, runs, chunk, digits, largestDigit, first, step, partial);
                }
                foreach (var statement in ChunkConditionBits(r))
                {
                    yield return statement;
                }
            }
        }

        /// <summary>The bit tests that stand for the bounds checks of copy chunks, by read, chunk and lane (<see cref="ChunkConditionBits"/>).</summary>
        private readonly Dictionary<(int Read, int Chunk, int Lane), IrExpr> _guardBits = [];

        /// <summary>The registers of every staged read's condition bits (<see cref="ChunkConditionBits"/>).</summary>
        private readonly List<Variable> _conditionRegisters = [];

        /// <summary>Registers of condition bits at most, per staged read (<see cref="ChunkConditionBits"/>).</summary>
        private const int MaxConditionRegisters = 4;

        /// <summary>
        /// The conditions of a thread's copy chunks that are the same in every stage, computed once
        /// before the stage loop into the bits of a few registers, so that each is one bit test in
        /// a stage: the carries between copy runs (they depend only on the first chunk's digits) and,
        /// when no reduce axis moves a checked dimension (a stage holds every filter tap), the bounds
        /// checks of a padded convolution. ptxas has 7 predicate registers: it recomputed such
        /// conditions in every stage from the digits and coordinates, and kept the rest as bits of
        /// a register it updated in the loop (batch-1 ResNet-50's s3_conv3x3_stride2 pick: about
        /// 600 integer and predicate instructions per stage for 2,304 FFMA, 18 chunks of I and 36 of W).
        /// Rewrites the read's chunks so that their carries are the bit tests.
        /// </summary>
        private IEnumerable<IrStmt> ChunkConditionBits(int r)
        {
            var plan = _a.Copy(r, _s);
            var lanes = plan.VectorLoad ? 1 : plan.Width;
            var origin = BoxOrigin(r, _stageIndex);
            var tensor = _tensor[_reads[r].Tensor];
            bool MovesWithStage(IrExpr guard) =>
                guard.Walk().OfType<IrExpr.Linear>().Any(form => form.Terms.Any(term => _stageIndex.Contains(term.Variable)));
            var guards = Enumerable.Range(0, plan.IterationsPerThread)
                .Select(it => Enumerable.Range(0, lanes).Select(u => Guard(_chunks[(r, it)], origin, tensor, u)).ToArray()).ToArray();
            // A reduce axis moves the box across the bounds: the checks are each stage's own.
            var guardsAreBits = guards.All(lane => lane.All(g => g is null || !MovesWithStage(g)));
            var count = 0;
            for (var it = 0; it < plan.IterationsPerThread; it++)
            {
                count += _chunks[(r, it)].Setup.Count(IsCarry) + (guardsAreBits ? guards[it].Count(g => g is not null) : 0);
            }
            const int bitsPerRegister = 31;
            if (count == 0 || count > MaxConditionRegisters * bitsPerRegister)
            {
                yield break;
            }
            var registers = new Variable[(count + bitsPerRegister - 1) / bitsPerRegister];
            for (var k = 0; k < registers.Length; k++)
            {
                registers[k] = Int($"g_cb{r}_{k}");
                _conditionRegisters.Add(registers[k]);
                yield return new IrStmt.Declare(registers[k], new IrExpr.Int(0));
            }
            var next = 0;
            // One bit per distinct condition (chunks a whole number of runs apart carry alike): ptxas
            // keeps each bit test it hoists in a register of its own.
            var tests = new Dictionary<IrExpr, IrExpr>();
            // Sets the next bit where the condition holds, unless a bit holds it already; returns its test.
            IrExpr Bit(IrExpr condition, IrExpr key, List<IrStmt> setting)
            {
                if (tests.TryGetValue(key, out var known))
                {
                    return known;
                }
                var register = registers[next / bitsPerRegister];
                var bit = next++ % bitsPerRegister;
                setting.Add(new IrStmt.Assign(register, new IrExpr.Binary(BinaryOperator.Add, IrExpr.Of(register),
                    new IrExpr.Select(condition, new IrExpr.Int(1L << bit), new IrExpr.Int(0)))));
                return tests[key] = new IrExpr.BitSet(IrExpr.Of(register), bit);
            }
            for (var it = 0; it < plan.IterationsPerThread; it++)
            {
                var chunk = _chunks[(r, it)];
                var setting = new List<IrStmt>();
                var setup = new List<IrStmt>();
                // The setup's values in terms of hoisted names: two chunks' conditions are alike when these are.
                var values = new Dictionary<Variable, IrExpr>();
                foreach (var statement in chunk.Setup)
                {
                    if (statement is IrStmt.Declare { Init: { } init } declare)
                    {
                        values[declare.Variable] = Inlined(init, values);
                    }
                    // The carry's own computation stays before the loop, where its bit is set.
                    setup.Add(statement is IrStmt.Declare carry && IsCarry(carry)
                        ? carry with { Init = Bit(IrExpr.Of(carry.Variable), values[carry.Variable], setting) }
                        : statement);
                }
                if (guardsAreBits)
                {
                    for (var u = 0; u < lanes; u++)
                    {
                        if (guards[it][u] is { } guard)
                        {
                            _guardBits[(r, it, u)] = Bit(guard, Inlined(guard, values), setting);
                        }
                    }
                }
                if (setting.Count > 0)
                {
                    yield return new IrStmt.Seq([.. chunk.Setup, .. setting], Scoped: true);
                }
                _chunks[(r, it)] = chunk with { Setup = [.. setup] };
            }
        }

        /// <summary>
        /// <paramref name="expr"/> with the names of <paramref name="values"/> replaced by their values:
        /// a key for comparing conditions, not code (a name inside an affine form becomes a sum).
        /// </summary>
        private static IrExpr Inlined(IrExpr expr, IReadOnlyDictionary<Variable, IrExpr> values) => expr switch
        {
            IrExpr.Ref reference => values.TryGetValue(reference.Variable, out var value) ? value : reference,
            IrExpr.Linear linear when linear.Terms.Any(term => values.ContainsKey(term.Variable)) => linear.Terms
                .Where(term => values.ContainsKey(term.Variable))
                .Aggregate((IrExpr)IrExpr.Sum(linear.Terms.Where(term => !values.ContainsKey(term.Variable)), linear.Constant),
                    (sum, term) => new IrExpr.Binary(BinaryOperator.Add, sum, new IrExpr.Binary(BinaryOperator.Multiply, new IrExpr.Int(term.Coefficient), values[term.Variable]))),
            IrExpr.Binary binary => binary with { Left = Inlined(binary.Left, values), Right = Inlined(binary.Right, values) },
            IrExpr.Select select => select with { Condition = Inlined(select.Condition, values), Then = Inlined(select.Then, values), Else = Inlined(select.Else, values) },
            IrExpr.InRange range => range with { Index = Inlined(range.Index, values) },
            IrExpr.BitSet bit => bit with { Value = Inlined(bit.Value, values) },
            _ => expr,
        };

        /// <summary>A carry between copy runs in a chunk's setup (<see cref="ChunkAfterFirst"/>).</summary>
        private static bool IsCarry(IrStmt statement) => statement is IrStmt.Declare { Variable.Type: IrType.Bool, Init: not null };

        /// <summary>
        /// The bounds check of lane <paramref name="u"/> of read <paramref name="r"/>'s copy chunk
        /// <paramref name="it"/>: its bit where it has one (<see cref="ChunkConditionBits"/>), else the comparisons.
        /// </summary>
        private IrExpr? CopyGuard(int r, int it, ChunkCoordinates chunk, IrExpr.Linear[] origin, Tensor tensor, int u) =>
            _guardBits.TryGetValue((r, it, u), out var bit) ? bit : Guard(chunk, origin, tensor, u);

        /// <summary>The tensor offset of each staged read's first copy chunk (a hoisted variable), per read.</summary>
        private readonly Dictionary<int, IrExpr> _firstChunkOffset = [];

        /// <summary>
        /// Whether read <paramref name="r"/>'s copy loads through a window of the tensor at the
        /// thread's first chunk of each stage's box, so that each later chunk loads at a constant
        /// (plus the carries) from it: ptxas folds the constant into the load, where an index into
        /// the whole tensor costs a 64-bit multiply-add per chunk. Only for an unrolled copy with no
        /// bound checked: the first chunk then lies inside the tensor, even when the box is not a
        /// whole number of chunks (its coordinates wrap inside the box), and the CPU accelerator
        /// checks a window's start. Float32 tensors only: a 16-bit tensor has no vector view to cut
        /// a window of vectors from.
        /// </summary>
        private bool CopiesThroughWindow(int r) =>
            !CopyLooped(r) && _tensor[_reads[r].Tensor].Type == ElementType.F32
            && !Enumerable.Range(0, _reads[r].Indices.Count).Any(d => NeedsCheck(r, d, reduceGuarded: false));

        /// <summary>
        /// A copy chunk's load at <paramref name="index"/>. A chunk past a carry between copy runs
        /// loads at a constant plus the carry's jump where it carries (<c>c + (carry ? d : 0)</c>):
        /// as one index that is a variable, which costs a 64-bit multiply-add per load (IMAD.WIDE);
        /// as two loads at constants, one per side of the carry, ptxas folds both into the window's
        /// address and predicates them (batch-1 ResNet-50's s4_conv3x3_stride2 pick, 64 such chunks:
        /// 247 IMAD and 83 IMAD.WIDE for 144 FFMA, against 125 and 19).
        /// </summary>
        private static IrExpr LoadChunk(KernelBuffer buffer, IrExpr index, int width) =>
            ConstantAndCarry(index) is (var constant, { } condition, var jump)
                ? new IrExpr.Select(condition, new IrExpr.Load(buffer, new IrExpr.Int(constant + jump), width), new IrExpr.Load(buffer, new IrExpr.Int(constant), width))
                : new IrExpr.Load(buffer, index, width);

        /// <summary><paramref name="index"/> as a sum of constants and at most one carry (<c>carry ? jump : 0</c>), or null when it is not one.</summary>
        private static (long Constant, IrExpr? Carry, long Jump)? ConstantAndCarry(IrExpr index)
        {
            switch (index)
            {
                case IrExpr.Int constant:
                    return (constant.Value, null, 0);
                case IrExpr.Select { Then: IrExpr.Int jump, Else: IrExpr.Int { Value: 0 } } carry:
                    return (0, carry.Condition, jump.Value);
                case IrExpr.Binary { Op: BinaryOperator.Add } sum when ConstantAndCarry(sum.Left) is var (leftConstant, leftCarry, leftJump)
                    && ConstantAndCarry(sum.Right) is var (rightConstant, rightCarry, rightJump) && (leftCarry is null || rightCarry is null):
                    return (leftConstant + rightConstant, leftCarry ?? rightCarry, leftJump + rightJump);
                default:
                    return null;
            }
        }

        /// <summary>
        /// The coordinates of the chunk <paramref name="step"/> elements after the thread's first
        /// (<paramref name="first"/>, whose digits in the copy <paramref name="runs"/> are <paramref name="digits"/>):
        /// the first chunk's offsets plus the step's digits, with the carries between runs.
        /// </summary>
        private ChunkCoordinates ChunkAfterFirst(int r, List<CopyRun> runs, ChunkCoordinates first, Variable[] digits, long[] largestDigit, IrExpr.Linear element, long step, bool partial)
        {
            var plan = _a.Copy(r, _s);
            var setup = new List<IrStmt>();
            // The step's digits, innermost run last, and the carry out of each run (null: never).
            var add = new long[runs.Count];
            var rest = step;
            for (var i = runs.Count - 1; i >= 0; i--)
            {
                add[i] = rest % runs[i].Extent;
                rest /= runs[i].Extent;
            }
            add[0] += rest * runs[0].Extent;
            var carry = new IrExpr?[runs.Count];
            IrExpr? carryIn = null;
            for (var i = runs.Count - 1; i >= 1; i--)
            {
                // digit + add + carry-in passes the extent when the digit is above extent - add - carry-in - 1.
                var extent = runs[i].Extent;
                IrExpr Passes(long carried) => extent - add[i] - carried <= 0
                    ? new IrExpr.Bool(true)
                    : extent - add[i] - carried - 1 >= largestDigit[i]
                        ? new IrExpr.Bool(false)
                        : new IrExpr.Binary(BinaryOperator.Less, new IrExpr.Int(extent - add[i] - carried - 1), IrExpr.Of(digits[i]));
                IrExpr? passes = carryIn is null
                    ? add[i] == 0 ? null : Passes(0)
                    : (Passes(1), add[i] == 0 ? new IrExpr.Bool(false) : Passes(0)) switch
                    {
                        (IrExpr.Bool { Value: false }, IrExpr.Bool { Value: false }) => new IrExpr.Bool(false),
                        var (ifCarried, otherwise) => new IrExpr.Select(carryIn, ifCarried, otherwise),
                    };
                if (passes is IrExpr.Bool { Value: false })
                {
                    passes = null;
                }
                if (passes is not null)
                {
                    var variable = new Variable($"g_ck{i}", IrType.Bool);
                    setup.Add(new IrStmt.Declare(variable, passes));
                    carry[i] = IrExpr.Of(variable);
                }
                carryIn = carry[i];
            }
            var tensorStrides = RowMajorStrides(_tensor[_reads[r].Tensor].Shape);
            var layout = _a.Layout(r, _s);
            var last = _reads[r].Indices.Count - 1;
            // A digit's share of an offset, in vector units when vectorized (as Coordinates writes it).
            long Share(int i, long digit, Func<int, long> stride, bool vector)
            {
                var s = stride(runs[i].Innermost);
                return vector && runs[i].Innermost == last ? digit / plan.Width : vector ? digit * (s / plan.Width) : digit * s;
            }
            IrExpr Offset(string name, IrExpr? firstOffset, Func<int, long> stride, bool vector)
            {
                long constant = 0;
                for (var i = 0; i < runs.Count; i++)
                {
                    constant += Share(i, add[i], stride, vector);
                }
                // Without a first offset, relative to the first chunk: a constant and the carries, not bound to a variable.
                IrExpr sum = firstOffset is null ? new IrExpr.Int(constant) : IrExpr.Sum((1, Linearize(firstOffset)), (1, IrExpr.Lin(constant)));
                for (var i = 1; i < runs.Count; i++)
                {
                    // A carry out of run i: its digit wraps by the extent, the next run out moves by one.
                    var delta = Share(i - 1, 1, stride, vector) - Share(i, runs[i].Extent, stride, vector);
                    if (carry[i] is { } c && delta != 0)
                    {
                        sum = new IrExpr.Binary(BinaryOperator.Add, sum, new IrExpr.Select(c, new IrExpr.Int(delta), new IrExpr.Int(0)));
                    }
                }
                if (firstOffset is null)
                {
                    return sum;
                }
                var variable = Int(name);
                setup.Add(new IrStmt.Declare(variable, sum));
                return IrExpr.Of(variable);
            }
            var shared = Offset("g_cs", first.SharedOffset, d => layout.Strides[d], plan.VectorStore);
            var global = Offset("g_cg", CopiesThroughWindow(r) ? null : first.GlobalOffset, d => tensorStrides[d], plan.VectorLoad);
            var checks = new IrExpr?[first.Coordinate.Length];
            for (var i = 0; i < runs.Count; i++)
            {
                var d = runs[i].First;
                if (first.Coordinate[d] is null)
                {
                    continue;
                }
                // A checked dimension is a run of its own: its coordinate is its digit.
                IrExpr coordinate = IrExpr.Sum((1, IrExpr.Lin(digits[i])), (1, IrExpr.Lin(add[i])));
                if (i + 1 < runs.Count && carry[i + 1] is { } carried)
                {
                    coordinate = new IrExpr.Binary(BinaryOperator.Add, coordinate, new IrExpr.Select(carried, new IrExpr.Int(1), new IrExpr.Int(0)));
                }
                if (carry[i] is { } wrapped)
                {
                    coordinate = new IrExpr.Binary(BinaryOperator.Subtract, coordinate, new IrExpr.Select(wrapped, new IrExpr.Int(runs[i].Extent), new IrExpr.Int(0)));
                }
                var variable = Int($"g_cc{d}_");
                setup.Add(new IrStmt.Declare(variable, coordinate));
                checks[d] = IrExpr.Of(variable);
            }
            var valid = partial ? new IrExpr.Binary(BinaryOperator.Less, IrExpr.Sum((1, element), (1, IrExpr.Lin(step))), new IrExpr.Int(plan.Elements)) : null;
            return new ChunkCoordinates(shared, global, checks, valid, [.. setup]);
        }

        /// <summary>
        /// The coordinates of the chunk starting at box element <paramref name="element"/> of read
        /// <paramref name="r"/>: its offsets in shared memory and in the tensor (in vector units when
        /// the copy is vectorized), the coordinates the bounds checks need, and whether it exists;
        /// from <paramref name="digits"/>, its coordinate in each copy run, where they are declared already.
        /// </summary>
        private (List<IrStmt> Statements, ChunkCoordinates Chunk) Coordinates(int r, IrExpr.Linear element, string suffix, bool hoist, bool partial, Variable[]? digits = null)
        {
            var read = _reads[r];
            var plan = _a.Copy(r, _s);
            var layout = _a.Layout(r, _s);
            var rank = read.Indices.Count;
            var tensorStrides = RowMajorStrides(_tensor[read.Tensor].Shape);
            var statements = new List<IrStmt>();
            IrExpr Bind(string name, IrType type, IrExpr value)
            {
                if (!hoist)
                {
                    return value;
                }
                var variable = new Variable($"{name}{suffix}", type);
                statements.Add(new IrStmt.Declare(variable, value));
                return IrExpr.Of(variable);
            }
            // Coordinates in the box, innermost dimension fastest, over runs of dimensions (CopyRuns).
            var checkedDimension = Enumerable.Range(0, rank).Select(d => NeedsCheck(r, d, reduceGuarded: false)).ToArray();
            var runs = CopyRuns(r);
            var coordinate = new IrExpr[runs.Count];
            long after = 1;
            for (var i = runs.Count - 1; i >= 0; i--)
            {
                // Already declared (the digits of a thread's first chunk), or divided out here.
                coordinate[i] = digits is null ? DivRem(element, after, runs[i].Extent) : IrExpr.Of(digits[i]);
                after *= runs[i].Extent;
            }
            var checks = new IrExpr?[rank];
            for (var i = 0; i < runs.Count; i++)
            {
                // A checked dimension is a run of its own (CopyRuns).
                var d = runs[i].First;
                if (checkedDimension[d])
                {
                    checks[d] = digits is null ? Bind($"g_cc{d}_", IrType.Int, coordinate[i]) : coordinate[i];
                }
            }
            var last = rank - 1;
            // In vector units when vectorized: every stride but the innermost is a whole number of vectors, and chunks start on one.
            IrExpr Offset(Func<int, long> stride, bool vector)
            {
                IrExpr sum = new IrExpr.Int(0);
                for (var i = 0; i < runs.Count; i++)
                {
                    var (first, innermost, extent) = runs[i];
                    var s = stride(innermost);
                    if (s == 0 || extent == 1)
                    {
                        continue;
                    }
                    // The innermost run has stride 1 in a vectorized copy: its coordinate counts elements.
                    var inner = innermost == last;
                    var scale = vector && !inner ? s / plan.Width : s;
                    IrExpr part = vector && inner
                        ? new IrExpr.Binary(BinaryOperator.IndexDivide, coordinate[i], new IrExpr.Int(plan.Width))
                        : scale == 1 ? coordinate[i] : new IrExpr.Binary(BinaryOperator.Multiply, coordinate[i], new IrExpr.Int(scale));
                    sum = sum is IrExpr.Int { Value: 0 } ? part : new IrExpr.Binary(BinaryOperator.Add, sum, part);
                }
                return sum;
            }
            var shared = Bind("g_cs", IrType.Int, Offset(d => layout.Strides[d], plan.VectorStore));
            var global = Bind("g_cg", IrType.Int, Offset(d => tensorStrides[d], plan.VectorLoad));
            var valid = partial ? Bind("g_cv", IrType.Bool, new IrExpr.Binary(BinaryOperator.Less, element, new IrExpr.Int(plan.Elements))) : null;
            return (statements, new ChunkCoordinates(shared, global, checks, valid, []));
        }

        /// <summary>Neighbouring box dimensions <c>First..Innermost</c> that a copy walks as one, <c>Extent</c> elements long.</summary>
        private readonly record struct CopyRun(int First, int Innermost, long Extent);

        /// <summary>
        /// The box's dimensions of read <paramref name="r"/> in the runs that a copy walks as one
        /// (<see cref="OperatorAnalysis.CopyRun(int, Schedule, ReadOnlySpan{int}, int)"/>), outermost
        /// first: a convolution's weights W[f,c,r,s] copy as f and one run of c, r, s. A checked
        /// dimension is a run of its own.
        /// </summary>
        private List<CopyRun> CopyRuns(int r)
        {
            var tile = new int[_a.AxisCount];
            _a.BlockStageTile(_s, tile);
            var runs = new List<CopyRun>();
            for (var innermost = _reads[r].Indices.Count - 1; innermost >= 0;)
            {
                var (first, length) = _a.CopyRun(r, _s, tile, innermost);
                runs.Add(new CopyRun(first, innermost, length));
                innermost = first - 1;
            }
            runs.Reverse();
            return runs;
        }

        /// <summary>The origin of read <paramref name="r"/>'s box in the stage whose indices are <paramref name="stage"/>, per tensor dimension.</summary>
        private IrExpr.Linear[] BoxOrigin(int r, Variable[] stage)
        {
            var read = _reads[r];
            var box = _a.Layout(r, _s).Box;
            return [.. Enumerable.Range(0, read.Indices.Count).Select(d =>
            {
                var terms = new List<(long, Variable)>();
                foreach (var term in read.Indices[d].Terms)
                {
                    var a = SpatialIndex(term.Axis);
                    var tile = a >= 0 ? _s.BlockTile[a] : _s.ReduceStep[ReduceIndex(term.Axis)];
                    if (tile >= _op.AxisNamed(term.Axis).Extent)
                    {
                        // One block or one stage along the axis: its index is always 0, and the copy plan's
                        // vector alignment (OperatorAnalysis.CopyShape) does not count on its term.
                        continue;
                    }
                    terms.Add((term.Coefficient * (long)tile, a >= 0 ? _blockIndex[a] : stage[ReduceIndex(term.Axis)]));
                }
                return IrExpr.Sum(terms, (long)read.Indices[d].Constant + box.Offsets[d]);
            })];
        }

        private enum CopyPart { Whole, Load, Store, Async }

        /// <summary>
        /// The copy of read <paramref name="r"/>'s box for the stage whose indices are
        /// <paramref name="stage"/>: from global memory into shared memory (at buffer offset
        /// <paramref name="buffer"/>, in elements), or only into the prefetch registers, or only from them,
        /// or by asynchronous copies (<see cref="AsyncChunk"/>).
        /// </summary>
        private IEnumerable<IrStmt> Copy(int r, Variable[] stage, CopyPart part, IrExpr.Linear buffer, string suffix)
        {
            var read = _reads[r];
            var plan = _a.Copy(r, _s);
            var tensor = _tensor[read.Tensor];
            var rank = read.Indices.Count;
            var width = plan.Width;
            var tensorStrides = RowMajorStrides(tensor.Shape);
            var statements = new List<IrStmt>();
            var origin = BoxOrigin(r, stage);
            IrExpr.Linear? flatOrigin = null;
            KernelBuffer? window = null;
            if (part != CopyPart.Store)
            {
                var sum = IrExpr.Sum([.. Enumerable.Range(0, rank).Select(d => (tensorStrides[d], origin[d]))]);
                // In vector units when the load is vectorized: the origin is a whole vector (CopyPlan).
                flatOrigin = plan.VectorLoad ? DividedBy(sum, width) : sum;
                var variable = Int($"g_so{r}{suffix}");
                statements.Add(new IrStmt.Declare(variable, flatOrigin));
                flatOrigin = IrExpr.Lin(variable);
                if (CopiesThroughWindow(r) && part != CopyPart.Async)
                {
                    window = new KernelBuffer($"g_cw{r}{suffix}", BufferScope.Global, tensor.ElementCount, read.Tensor) { Element = tensor.Type };
                    var start = IrExpr.Sum((1, flatOrigin), (1, Linearize(_firstChunkOffset[r])));
                    statements.Add(new IrStmt.DeclareWindow(window, _parameter[read.Tensor], start, plan.VectorLoad ? width : 1));
                }
            }
            // Where a chunk's loads start: its offset in the window, or in the whole tensor.
            IrExpr LoadIndex(ChunkCoordinates chunk, int lane) => window is null
                ? IrExpr.Sum((1, flatOrigin!), (1, Linearize(chunk.GlobalOffset)), (1, IrExpr.Lin(lane)))
                : chunk.GlobalOffset is IrExpr.Int offset ? new IrExpr.Int(offset.Value + lane)
                : lane == 0 ? chunk.GlobalOffset : new IrExpr.Binary(BinaryOperator.Add, chunk.GlobalOffset, new IrExpr.Int(lane));

            IrStmt Chunk(ChunkCoordinates chunk, int it, string register)
            {
                if (part == CopyPart.Async)
                {
                    // Where a window would have been cut at the thread's first chunk, the chunks' offsets are from it.
                    var from = CopiesThroughWindow(r) ? IrExpr.Sum((1, flatOrigin!), (1, Linearize(_firstChunkOffset[r]))) : flatOrigin!;
                    var async = new IrStmt.Seq([.. chunk.Setup, .. AsyncChunk(r, it, chunk, origin, tensor, from, buffer)], Scoped: true);
                    return chunk.Valid is null ? async : new IrStmt.If(chunk.Valid, async);
                }
                var body = new List<IrStmt>();
                var guard = part == CopyPart.Store ? null : CopyGuard(r, it, chunk, origin, tensor, 0);
                if (plan.VectorLoad)
                {
                    var type = IrTypes.FloatOfWidth(width);
                    var value = new Variable(register, type);
                    if (part != CopyPart.Store)
                    {
                        var load = LoadChunk(window ?? _parameter[read.Tensor], LoadIndex(chunk, 0), width);
                        IrExpr loaded = guard is null ? load : new IrExpr.Select(guard, load, new IrExpr.Pack([.. Enumerable.Repeat<IrExpr>(new IrExpr.Float(0), width)]));
                        body.Add(part == CopyPart.Load ? new IrStmt.Assign(value, loaded) : new IrStmt.Declare(value, loaded));
                    }
                    if (part != CopyPart.Load)
                    {
                        body.AddRange(StoreChunk(r, chunk, buffer, u => width == 1 ? IrExpr.Of(value) : new IrExpr.Lane(IrExpr.Of(value), u), IrExpr.Of(value)));
                    }
                }
                else
                {
                    var values = new Variable[width];
                    for (var u = 0; u < width; u++)
                    {
                        values[u] = new Variable($"{register}_{u}", IrType.Float);
                        if (part != CopyPart.Store)
                        {
                            var laneGuard = CopyGuard(r, it, chunk, origin, tensor, u);
                            IrExpr load = LoadChunk(window ?? _parameter[read.Tensor], LoadIndex(chunk, u), 1);
                            var loaded = laneGuard is null ? load : new IrExpr.Select(laneGuard, load, new IrExpr.Float(0));
                            body.Add(part == CopyPart.Load ? new IrStmt.Assign(values[u], loaded) : new IrStmt.Declare(values[u], loaded));
                        }
                    }
                    if (part != CopyPart.Load)
                    {
                        body.AddRange(StoreChunk(r, chunk, buffer, u => IrExpr.Of(values[u]), null));
                    }
                }
                var scoped = new IrStmt.Seq([.. chunk.Setup, .. body], Scoped: part != CopyPart.Load || chunk.Setup.Length > 0);
                return chunk.Valid is null ? scoped : new IrStmt.If(chunk.Valid, scoped);
            }

            if (CopyLooped(r))
            {
                // Too many chunks per thread to keep their coordinates: a loop computes them per stage.
                var it = Int($"g_it{r}");
                var element = IrExpr.Sum([(width, Int("g_tid")), ((long)Threads * width, it)]);
                var (coordinates, chunk) = Coordinates(r, element, "", hoist: true, partial: true);
                // No chunk number: a looped copy's chunks have no condition bits (ChunkConditionBits).
                statements.Add(new IrStmt.For(it, 0, plan.IterationsPerThread, 1, Unroll: false, new IrStmt.Seq([.. coordinates, Chunk(chunk, -1, $"g_w{r}")])));
                return statements;
            }
            for (var it = 0; it < plan.IterationsPerThread; it++)
            {
                statements.Add(Chunk(_chunks[(r, it)], it, $"g_p{r}_{it}"));
            }
            return statements;
        }

        /// <summary>
        /// One chunk of read <paramref name="r"/>'s box by asynchronous copies from the tensor (its box origin
        /// <paramref name="from"/>, in the copy's vectors when it loads vectors) into shared buffer offset
        /// <paramref name="buffer"/>: one copy of the chunk where it is stored whole, else one per element at its
        /// stored place (a transposed box), each with the bounds check of its load, where it copies zeros.
        /// </summary>
        private IEnumerable<IrStmt> AsyncChunk(int r, int it, ChunkCoordinates chunk, IrExpr.Linear[] origin, Tensor tensor, IrExpr.Linear from, IrExpr.Linear buffer)
        {
            var plan = _a.Copy(r, _s);
            var width = plan.Width;
            var global = _parameter[_reads[r].Tensor];
            var shared = _shared[r]!;
            var start = new IrExpr.Binary(BinaryOperator.Add, from, chunk.GlobalOffset);
            if (plan.VectorLoad && plan.VectorStore)
            {
                var index = IrExpr.Sum((1, Linearize(chunk.SharedOffset)), (1, DividedBy(buffer, width)));
                yield return new IrStmt.AsyncCopy(shared, index, global, start, width, CopyGuard(r, it, chunk, origin, tensor, 0));
                yield break;
            }
            // Element by element: a vector load's elements share its check.
            var step = _a.Layout(r, _s).Strides[^1];
            for (var u = 0; u < width; u++)
            {
                var element = plan.VectorLoad
                    ? new IrExpr.Binary(BinaryOperator.Add, new IrExpr.Binary(BinaryOperator.Multiply, start, new IrExpr.Int(width)), new IrExpr.Int(u))
                    : new IrExpr.Binary(BinaryOperator.Add, start, new IrExpr.Int(u));
                var to = IrExpr.Sum((1, Linearize(chunk.SharedOffset)), (1, buffer), (1, IrExpr.Lin(u * step)));
                yield return new IrStmt.AsyncCopy(shared, to, global, element, 1, CopyGuard(r, it, chunk, origin, tensor, plan.VectorLoad ? 0 : u));
            }
        }

        private static IrExpr.Linear Linearize(IrExpr expr) => expr switch
        {
            IrExpr.Linear linear => linear,
            IrExpr.Ref r => IrExpr.Lin(r.Variable),
            IrExpr.Int i => IrExpr.Lin(i.Value),
            _ => throw new InvalidOperationException("a chunk offset is hoisted into a variable before it is added to"),
        };

        /// <summary>The bounds check of lane <paramref name="u"/> of a chunk: null when no dimension can leave the tensor.</summary>
        private IrExpr? Guard(ChunkCoordinates chunk, IrExpr.Linear[] origin, Tensor tensor, int u)
        {
            IrExpr? guard = null;
            var last = origin.Length - 1;
            for (var d = 0; d < origin.Length; d++)
            {
                if (chunk.Coordinate[d] is not { } coordinate)
                {
                    continue;
                }
                var index = IrExpr.Sum((1, origin[d]), (1, Linearize(coordinate)), (1, IrExpr.Lin(d == last ? u : 0)));
                IrExpr check = new IrExpr.InRange(index, tensor.Shape[d]);
                guard = guard is null ? check : new IrExpr.Binary(BinaryOperator.And, guard, check);
            }
            return guard;
        }

        /// <summary>Stores one chunk into the staged box: one vector store when the layout keeps it contiguous, else one store per element.</summary>
        private IEnumerable<IrStmt> StoreChunk(int r, ChunkCoordinates chunk, IrExpr.Linear buffer, Func<int, IrExpr> lane, IrExpr? vector)
        {
            var plan = _a.Copy(r, _s);
            var layout = _a.Layout(r, _s);
            var shared = _shared[r]!;
            if (plan.VectorStore && vector is not null)
            {
                var index = IrExpr.Sum((1, Linearize(chunk.SharedOffset)), (1, DividedBy(buffer, plan.Width)));
                yield return new IrStmt.Store(shared, index, vector, plan.Width);
                yield break;
            }
            // A transposed box: consecutive elements of a tensor row are a stored stride apart.
            var step = layout.Strides[^1];
            for (var u = 0; u < plan.Width; u++)
            {
                yield return new IrStmt.Store(shared, IrExpr.Sum((1, Linearize(chunk.SharedOffset)), (1, buffer), (1, IrExpr.Lin(u * step))), lane(u), 1);
            }
        }
    }
}
