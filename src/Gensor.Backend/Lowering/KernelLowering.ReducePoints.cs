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
        // ---- Reduce points -----------------------------------------------------------------

        /// <summary>
        /// The loops over the points of one stage. The innermost one counts rounds of the reduce
        /// lanes' runs (a point is a lane's run: <see cref="ReducePoint"/>), so that every offset
        /// it adds is a whole multiple of the round, in vectors too.
        /// </summary>
        private IrStmt ReducePoints()
        {
            var rolled = Rolled;
            IrStmt body = ReducePoint();
            for (var j = _reduce.Length - 1; j >= 0; j--)
            {
                if (j == rolled - 1)
                {
                    body = WithWindows(body);
                }
                if (_reduce[j].Extent % _s.ReduceStep[j] != 0)
                {
                    // The last stage runs past the axis: the points beyond it do not exist.
                    // (With lane runs every stage is whole: OperatorAnalysis.ReduceLaneRun.)
                    var position = IrExpr.Sum([(_s.ReduceStep[j], _stageIndex[j]), (PointScale(j), _point[j]), .. (j == Inner && _lane is not null ? new[] { (1L, _lane) } : [])]);
                    body = new IrStmt.If(new IrExpr.Binary(BinaryOperator.Less, position, new IrExpr.Int(_reduce[j].Extent)), body);
                }
                var unrollBy = j == rolled - 1 ? OperatorAnalysis.PartialUnrollFactor(_s) : 1;
                body = new IrStmt.For(_point[j], 0, _s.ReduceStep[j] / PointScale(j), 1, Unroll: j >= rolled, body, unrollBy);
            }
            return rolled == 0 ? WithWindows(body) : body;
        }

        /// <summary>Reduce loops that stay loops (the outer ones); the inner ones are unrolled.</summary>
        private int Rolled { get; }

        /// <summary>Whether <paramref name="point"/> is a reduce loop variable that stays a variable in the printed kernel (not unrolled to constants).</summary>
        private bool RolledPoint(Variable point) => Array.IndexOf(_point, point) is var j && j >= 0 && j < Rolled;

        private readonly Dictionary<int, KernelBuffer> _windows = [];

        /// <summary>
        /// <paramref name="body"/> (the unrolled points of an iteration of the innermost rolled reduce
        /// loop, or of the whole stage) after a window of each unstaged read at its first operand (the
        /// stage's base plus the rolled loops' part), and of each staged read whose window fits
        /// (<see cref="SharedWindowFits"/>) in shared memory: the thread's base, the stage's buffer and
        /// the rolled loops' part, in elements and, for 128-bit loads, in quads. Each load is then the
        /// window plus a constant.
        /// </summary>
        private IrStmt WithWindows(IrStmt body)
        {
            var windows = new List<IrStmt>();
            foreach (var (r, window) in _windows.OrderBy(pair => pair.Key))
            {
                var rolled = IrExpr.Sum(GlobalOperandOffset(r, _elements[0]).Terms.Where(t => RolledPoint(t.Variable)));
                // A window of the read's vectors when it loads vectors: in their units, so it stays aligned.
                windows.Add(_globalVectors.TryGetValue(r, out var vectors)
                    ? new IrStmt.DeclareWindow(window, _parameter[_reads[r].Tensor], IrExpr.Sum((1, IrExpr.Lin(_stageVectorBase[r])), (1, DividedBy(rolled, vectors.Width))), vectors.Width, !WindowStaysInside(r))
                    : new IrStmt.DeclareWindow(window, _parameter[_reads[r].Tensor], IrExpr.Sum((1, IrExpr.Lin(_stageBase[r])), (1, rolled)), 1, !WindowStaysInside(r)));
            }
            foreach (var (r, (scalar, quad)) in _sharedWindows.OrderBy(pair => pair.Key))
            {
                // The thread's base in the stage's buffer plus the rolled loops' part: its first operand here.
                var rolled = IrExpr.Sum(StagedPointPart(r).Terms.Where(t => RolledPoint(t.Variable)));
                var shared = _shared[r]!;
                windows.Add(new IrStmt.DeclareWindow(scalar, shared, IrExpr.Sum((1, IrExpr.Lin(_sharedBase[r])), (1, SharedBufferPart(r)), (1, rolled)), 1));
                if (quad is not null)
                {
                    // In 4-element units: base, buffer and point parts are whole quads (StagedBase checked).
                    windows.Add(new IrStmt.DeclareWindow(quad, shared,
                        IrExpr.Sum((1, IrExpr.Lin(_sharedQuadBase[r])), (1, DividedBy(SharedBufferPart(r), 4)), (1, DividedBy(rolled, 4))), 4));
                }
            }
            return windows.Count == 0 ? body : new IrStmt.Seq([.. windows, body], Scoped: true);
        }

        /// <summary>
        /// Whether the windows of unstaged read <paramref name="r"/> (<see cref="WithWindows"/>) start
        /// inside its tensor and every load through them lies at or after their start: no bound
        /// checked, every stage whole, no negative offset. Otherwise a window
        /// <see cref="IrStmt.DeclareWindow.MayStartOutside"/>.
        /// </summary>
        private bool WindowStaysInside(int r)
        {
            if (Enumerable.Range(0, _reads[r].Indices.Count).Any(d => NeedsCheck(r, d, reduceGuarded: true))
                || Enumerable.Range(0, _reduce.Length).Any(j => _reduce[j].Extent % _s.ReduceStep[j] != 0))
            {
                return false;
            }
            return OperandOffsets(r).All(offset => offset.Constant >= 0 && offset.Terms.All(t => RolledPoint(t.Variable) || t.Coefficient >= 0));
        }

        /// <summary>
        /// One reduce point, a lane's run of consecutive ones with lane runs (<see cref="OperatorAnalysis.ReduceLaneRun"/>):
        /// load each read's distinct operands of the whole run, then update every accumulator point by point.
        /// </summary>
        private IrStmt ReducePoint()
        {
            var statements = new List<IrStmt>();
            var registerOf = new Dictionary<(int Read, string Key), IrExpr>();
            for (var r = 0; r < _reads.Length; r++)
            {
                var operands = new List<(Variable Register, int[] Element)>();
                foreach (var position in OperandPositions())
                {
                    var key = KeyOf(_reads[r], position);
                    if (registerOf.ContainsKey((r, key)))
                    {
                        continue;
                    }
                    var register = new Variable($"g_v{r}_{operands.Count}", IrType.Float);
                    registerOf[(r, key)] = IrExpr.Of(register);
                    operands.Add((register, position));
                }
                statements.AddRange(Staged(r) ? StagedOperands(r, operands) : GlobalOperands(r, operands));
            }
            for (var place = 0; place < _laneRun; place++)
            {
                for (var e = 0; e < _elements.Length; e++)
                {
                    var position = InRunAt(_elements[e], place);
                    var read = 0;
                    var value = Convert(_op.Body, _ => registerOf[(read, KeyOf(_reads[read], position))], () => read++);
                    var acc = IrExpr.Of(_acc[e]);
                    statements.Add(new IrStmt.Assign(_acc[e], _op.Reduction switch
                    {
                        Reduction.Sum => new IrExpr.Binary(BinaryOperator.Add, acc, value),
                        Reduction.Max => new IrExpr.Binary(BinaryOperator.Max, acc, value),
                        _ => value,
                    }));
                }
            }
            return new IrStmt.Seq([.. statements], Scoped: true);
        }

        /// <summary>
        /// The thread-tile positions of one reduce point's operands, each at every place of a lane's
        /// run: the place follows the position's spatial offsets in the array (<see cref="InRun"/>).
        /// </summary>
        private IEnumerable<int[]> OperandPositions() =>
            Enumerable.Range(0, _laneRun).SelectMany(place => _elements.Select(element => InRunAt(element, place)));

        private int[] InRunAt(int[] element, int place) => _laneRun == 1 ? element : [.. element, place];

        /// <summary>An operand position's place in its lane's run of reduce points (0 without lane runs).</summary>
        private int InRun(int[] position) => position.Length > Rank ? position[Rank] : 0;

        /// <summary>
        /// Where an operand position's element lies from the thread's first, index by index: positions that
        /// agree read one element and share one register. Offsets, not positions: with indices such as
        /// x[h+w] or x[w+k], different positions (or places in a lane's run) reach the same element.
        /// </summary>
        private string KeyOf(TensorRead read, int[] position) =>
            string.Join(",", read.Indices.Select(index => index.Terms.Sum(term =>
                SpatialIndex(term.Axis) is var a and >= 0 ? term.Coefficient * LocalOffset(a, position[a])
                : ReduceIndex(term.Axis) == Inner ? (long)term.Coefficient * InRun(position) : 0)));

        /// <summary>The constant offset of a thread-tile position's operand (at its place in a lane's run) from the thread's base in the staged box.</summary>
        private long StagedOffset(int r, int[] element)
        {
            var strides = _a.Layout(r, _s).Strides;
            var indices = _reads[r].Indices;
            long offset = 0;
            for (var d = 0; d < indices.Count; d++)
            {
                foreach (var term in indices[d].Terms)
                {
                    var a = SpatialIndex(term.Axis);
                    if (a >= 0)
                    {
                        offset += strides[d] * term.Coefficient * LocalOffset(a, element[a]);
                    }
                    else if (ReduceIndex(term.Axis) == Inner)
                    {
                        offset += strides[d] * term.Coefficient * InRun(element);
                    }
                }
            }
            return offset;
        }

        /// <summary>
        /// Whether staged read <paramref name="r"/>'s loads can go through a window (<see cref="WithWindows"/>)
        /// that starts at the thread's first operand of an unrolled body: every operand then lies at or after
        /// it (no tile position or point moves backwards in the box), so the window starts inside the buffer
        /// and is indexed by constants from 0 on.
        /// </summary>
        private bool SharedWindowFits(int r) =>
            StagedPointPart(r).Terms.All(t => t.Coefficient >= 0) && _elements.All(element => StagedOffset(r, element) >= 0);

        /// <summary>The offset of the buffer a double-buffered stage reads (0 when single-buffered).</summary>
        private IrExpr.Linear SharedBufferPart(int r) =>
            _parity is null ? IrExpr.Lin(0) : IrExpr.Lin(_parity, _a.Layout(r, _s).StoredElements);

        /// <summary>The reduce points' part of a staged read's offset in its box.</summary>
        private IrExpr.Linear StagedPointPart(int r)
        {
            var strides = _a.Layout(r, _s).Strides;
            var indices = _reads[r].Indices;
            var terms = new List<(long, Variable)>();
            for (var d = 0; d < indices.Count; d++)
            {
                foreach (var term in indices[d].Terms)
                {
                    var j = ReduceIndex(term.Axis);
                    if (j >= 0)
                    {
                        terms.Add((strides[d] * term.Coefficient * PointScale(j), _point[j]));
                    }
                }
            }
            return IrExpr.Sum(terms);
        }

        /// <summary>
        /// A staged read's operands, four at a time with one 128-bit shared load wherever four of
        /// them sit at offsets 4i..4i+3 from the thread's aligned base.
        /// </summary>
        private IEnumerable<IrStmt> StagedOperands(int r, List<(Variable Register, int[] Element)> operands)
        {
            var shared = _shared[r]!;
            var buffer = SharedBufferPart(r);
            var points = StagedPointPart(r);
            // Through the read's windows (WithWindows), each load is the window plus a constant, which
            // ptxas folds into the load: indexing the whole buffer costs an add and a shift per load.
            var window = _sharedWindows.TryGetValue(r, out var windows) ? windows : default;
            var byOffset = operands.ToDictionary(o => StagedOffset(r, o.Element), o => o.Register);
            var done = new HashSet<Variable>();
            if (_sharedQuadBase.TryGetValue(r, out var quadBase))
            {
                var quads = 0;
                foreach (var offset in byOffset.Keys.Order())
                {
                    if (done.Contains(byOffset[offset]) || offset % 4 != 0 || !Enumerable.Range(1, 3).All(i => byOffset.ContainsKey(offset + i)))
                    {
                        continue;
                    }
                    var quad = new Variable($"g_w{r}_{quads++}", IrType.Float4);
                    // In 4-element units: base, buffer and point parts are whole quads (StagedBase checked).
                    var load = window.Quad is { } quadWindow
                        ? new IrExpr.Load(quadWindow, IrExpr.Sum((1, DividedBy(Unrolled(points), 4)), (1, IrExpr.Lin(offset / 4))), 4)
                        : new IrExpr.Load(shared, IrExpr.Sum(
                            (1, IrExpr.Lin(quadBase)),
                            (1, DividedBy(buffer, 4)),
                            (1, DividedBy(points, 4)),
                            (1, IrExpr.Lin(offset / 4))), 4);
                    yield return new IrStmt.Declare(quad, load);
                    for (var i = 0; i < 4; i++)
                    {
                        yield return new IrStmt.Declare(byOffset[offset + i], new IrExpr.Lane(IrExpr.Of(quad), i));
                        done.Add(byOffset[offset + i]);
                    }
                }
            }
            foreach (var (register, element) in operands)
            {
                if (!done.Contains(register))
                {
                    var load = window.Scalar is { } scalarWindow
                        ? new IrExpr.Load(scalarWindow, IrExpr.Sum((1, Unrolled(points)), (1, IrExpr.Lin(StagedOffset(r, element)))), 1)
                        : new IrExpr.Load(shared, IrExpr.Sum((1, IrExpr.Lin(_sharedBase[r])), (1, buffer), (1, points), (1, IrExpr.Lin(StagedOffset(r, element)))), 1);
                    yield return new IrStmt.Declare(register, load);
                }
            }
        }

        /// <summary>
        /// A linear form in units of <paramref name="divisor"/> elements (vectors, quads); exact only where
        /// every coefficient and the constant are multiples of it, which the callers have established.
        /// </summary>
        private static IrExpr.Linear DividedBy(IrExpr.Linear form, long divisor) =>
            IrExpr.Sum(form.Terms.Select(t => (t.Coefficient / divisor, t.Variable)), form.Constant / divisor);

        private IEnumerable<IrStmt> GlobalOperands(int r, List<(Variable Register, int[] Element)> operands) =>
            _globalVectors.TryGetValue(r, out var vectors) ? GlobalVectorOperands(r, operands, vectors) : GlobalScalarOperands(r, operands);

        /// <summary>Every operand as a lane of one of the read's vector loads.</summary>
        private IEnumerable<IrStmt> GlobalVectorOperands(int r, List<(Variable Register, int[] Element)> operands, GlobalVectors vectors)
        {
            var width = vectors.Width;
            var byConstant = operands.ToDictionary(o => GlobalOperandOffset(r, o.Element).Constant, o => o.Register);
            var points = IrExpr.Sum(GlobalOperandOffset(r, operands[0].Element).Terms);
            var count = 0;
            var window = _windows[r];
            foreach (var start in vectors.Starts.Order())
            {
                var vector = new Variable($"g_w{r}_{count++}", width == 4 ? IrType.Float4 : IrType.Float2);
                // In units of the vector, from the window (WithWindows): the point parts are whole vectors (PlanGlobalVectors checked).
                var index = IrExpr.Sum((1, DividedBy(Unrolled(points), width)), (1, IrExpr.Lin(start / width)));
                yield return new IrStmt.Declare(vector, new IrExpr.Load(window, index, width));
                for (var i = 0; i < width; i++)
                {
                    yield return new IrStmt.Declare(byConstant[start + i], new IrExpr.Lane(IrExpr.Of(vector), i));
                }
            }
        }

        /// <summary>Each operand by its own load, guarded where its index can leave the tensor.</summary>
        private IEnumerable<IrStmt> GlobalScalarOperands(int r, List<(Variable Register, int[] Element)> operands)
        {
            var read = _reads[r];
            var tensor = _tensor[read.Tensor];
            var window = _windows[r];
            foreach (var (register, element) in operands)
            {
                // Address: the window (the stage's base and the rolled loops' part) plus this point's and this position's constant parts.
                var perDimension = GlobalOperandIndices(r, element);
                var offset = GlobalOperandOffset(r, element);
                IrExpr load = new IrExpr.Load(window, Unrolled(offset), 1);
                IrExpr? guard = null;
                for (var d = 0; d < read.Indices.Count; d++)
                {
                    if (_stageCoordinate.TryGetValue((r, d), out var coordinate))
                    {
                        IrExpr check = new IrExpr.InRange(IrExpr.Sum((1, IrExpr.Lin(coordinate)), (1, perDimension[d])), tensor.Shape[d]);
                        guard = guard is null ? check : new IrExpr.Binary(BinaryOperator.And, guard, check);
                    }
                }
                yield return new IrStmt.Declare(register, guard is null ? load : new IrExpr.Select(guard, load, new IrExpr.Float(0)));
            }
        }

        /// <summary>A form without its rolled loops' terms (a window's origin holds them).</summary>
        private IrExpr.Linear Unrolled(IrExpr.Linear form) => IrExpr.Sum(form.Terms.Where(t => !RolledPoint(t.Variable)), form.Constant);

        /// <summary>Per index of global read <paramref name="r"/>, the part that varies inside a thread's stage for tile position <paramref name="element"/>.</summary>
        private IrExpr.Linear[] GlobalOperandIndices(int r, int[] element) =>
            [.. _reads[r].Indices.Select(index => PointAndLocal(Index(index, withThread: true, withStage: false, withPoint: true, a => LocalOffset(a, element[a]), inRun: InRun(element))))];

        /// <summary>The flat offset of tile position <paramref name="element"/>'s operand from the stage's base: the points' terms and a constant.</summary>
        private IrExpr.Linear GlobalOperandOffset(int r, int[] element)
        {
            var strides = RowMajorStrides(_tensor[_reads[r].Tensor].Shape);
            var indices = GlobalOperandIndices(r, element);
            return IrExpr.Sum([.. Enumerable.Range(0, indices.Length).Select(d => (strides[d], indices[d]))]);
        }

        /// <summary>The offsets of read <paramref name="r"/>'s distinct operands of the thread tile from the stage's base (<see cref="GlobalOperandOffset"/>).</summary>
        private IrExpr.Linear[] OperandOffsets(int r) =>
            [.. OperandPositions().DistinctBy(position => KeyOf(_reads[r], position)).Select(position => GlobalOperandOffset(r, position))];

        /// <summary>
        /// The vector loads of unstaged read <paramref name="r"/> at the width the analysis gives
        /// (<see cref="OperatorAnalysis.GlobalVectorWidth"/>, which the cost model counts): every
        /// run of that many consecutive operands, the first at a multiple of it, is one load. The
        /// addresses' forms are checked again here (thread base <paramref name="threadBase"/>, stage
        /// and point parts); should they disagree with the analysis, the loads stay scalar rather
        /// than misaligned. Buffers are allocated 16-byte aligned, as the staged copies' vector
        /// loads assume too.
        /// </summary>
        private GlobalVectors? PlanGlobalVectors(int r, IrExpr.Linear threadBase)
        {
            var width = _a.GlobalVectorWidth(r, _s);
            if (width == 1)
            {
                return null;
            }
            var offsets = OperandOffsets(r);
            var constants = offsets.Select(offset => offset.Constant).ToHashSet();
            var alignment = threadBase.Terms.Concat(GlobalStagePart(r).Terms).Concat(offsets[0].Terms)
                .Aggregate(threadBase.Constant, (g, term) => Gcd(g, term.Coefficient));
            var starts = constants.Where(c => c % width == 0 && Enumerable.Range(1, width - 1).All(i => constants.Contains(c + i))).ToHashSet();
            return constants.Count == offsets.Length && alignment % width == 0 && starts.Count * width == constants.Count
                ? new GlobalVectors(width, starts)
                : null;
        }

        private static long Gcd(long a, long b) => b == 0 ? Math.Abs(a) : Gcd(b, a % b);

        /// <summary>A global read's vector loads, which load every operand: their width and the first operand offset of each.</summary>
        private sealed record GlobalVectors(int Width, IReadOnlySet<long> Starts);

        /// <summary>The parts of an index that vary inside a thread's stage: the points and the constant of the position in the tile.</summary>
        private IrExpr.Linear PointAndLocal(IrExpr.Linear full) =>
            IrExpr.Sum(full.Terms.Where(t => _point.Contains(t.Variable)), full.Constant);

        /// <summary>
        /// An ETIR expression as an IR float expression: <paramref name="read"/> gives the operand of
        /// each tensor read, <paramref name="next"/> is called after each read (left to right).
        /// </summary>
        private static IrExpr Convert(Expr expr, Func<TensorRead, IrExpr> read, Action next) => expr switch
        {
            Constant c => new IrExpr.Float(c.Value),
            TensorRead t => ReadThen(read(t), next),
            Unary u => new IrExpr.Unary(CSharpExpression.ToIr(u.Op), Convert(u.Operand, read, next)),
            Binary b => ConvertBinary(b, read, next),
            _ => throw new NotSupportedException($"expression node {expr.GetType().Name}"),
        };

        private static IrExpr ReadThen(IrExpr value, Action next)
        {
            next();
            return value;
        }

        private static IrExpr ConvertBinary(Binary b, Func<TensorRead, IrExpr> read, Action next)
        {
            var left = Convert(b.Left, read, next);
            var right = Convert(b.Right, read, next);
            return new IrExpr.Binary(b.Op switch
            {
                BinaryOp.Add => BinaryOperator.Add,
                BinaryOp.Subtract => BinaryOperator.Subtract,
                BinaryOp.Multiply => BinaryOperator.Multiply,
                BinaryOp.Divide => BinaryOperator.Divide,
                BinaryOp.Max => BinaryOperator.Max,
                BinaryOp.Min => BinaryOperator.Min,
                _ => throw new NotSupportedException($"binary {b.Op}"),
            }, left, right);
        }
    }
}
