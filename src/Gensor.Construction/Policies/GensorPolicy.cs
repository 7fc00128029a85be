using System.Diagnostics;
using Gensor.Construction.Cost;
using Gensor.Construction.Primitives;
using Gensor.Hardware;
using Gensor.Construction.Space;
using Gensor.Etir;

namespace Gensor.Construction.Policies;

/// <summary>
/// Gensor's graph-based construction (Liu et al., arXiv 2502.11407): states are
/// schedules (ETIRs), edges are <see cref="PrimitiveSet"/> primitives, and
/// states reached by different paths are one node (a dictionary keyed by the
/// schedule's value), so the construction space is a graph, not Roller's tree.
/// Seeded walkers run a Markov chain over it: from a state, each legal edge is
/// taken with probability proportional to (cost / cost')^(1/temperature), the
/// cost model's expected gain on the profile; illegal edges have probability
/// zero, and worsening edges keep a floor so a walker can leave a local optimum.
/// The temperature falls over a walk (annealing, our choice), and each walker
/// ends with a greedy descent from the best state it saw (our choice, so the
/// reported state is a local optimum of the graph); the best of all, and the best
/// of the next kernel families, then descend over pairs of primitives. The best
/// distinct states visited are ranked by the model. Deterministic for a given seed.
/// </summary>
public sealed class GensorPolicy(int walkers = GensorPolicy.DefaultWalkers, int steps = GensorPolicy.DefaultSteps) : ISchedulePolicy
{
    /// <summary>
    /// Walkers per construction, and at least one per start. Walkers beyond the starts restart from
    /// the best state so far and, traced on GPT-2's QKV GEMM for h100, never left it for a better one:
    /// their states now go to the descents from other kernel families (<see cref="FamilyReach"/>).
    /// </summary>
    public const int DefaultWalkers = 4;

    /// <summary>
    /// Steps per walk. Measured with `Gensor.Bench seeds --seeds 16 --rows` (h100, the 56 suite operators,
    /// estimates compared in absolute terms) against 40 steps before the MoveThreads edges: with the edges
    /// and the families' descents over pairs within <see cref="FamilyPairStates"/>, estimates 0.7% lower in
    /// geometric mean for 7% more states (7,080 against 6,621), the largest seed-0 construction 10,530
    /// states instead of 12,594. With the edges, 40 steps and every family over pairs: 0.9% lower for 10.8%
    /// more states, constructions up to 12,400 states; 34 steps: 0.5% lower for 0.7% more.
    /// </summary>
    public const int DefaultSteps = 44;

    /// <summary>Spaces smaller than this get proportionally shorter walks, but at least <see cref="MinSteps"/> steps.</summary>
    public const long SmallSpace = 400_000;

    public const int MinSteps = 4;

    /// <summary>
    /// Temperature at the start and at the end of a walk. At 0.5 a 10% worse edge still weighed 0.83
    /// against 1.21 for a 10% better one, so walks drifted; at 0.2 (0.62 against 1.61) the walks of 8
    /// seeds on gpt2's qkv and mlp_up GEMMs for h100 ended within 0.4% and 0.9% of exhaustive
    /// enumeration in geometric mean (1.1% and 2.1% at 0.5), visiting fewer states. Since the kernel
    /// families' descents, a start at 0.1 (a 10% gain weighs 2.6 against 0.39 for a 10% loss) against 0.2,
    /// `Gensor.Bench seeds --seeds 16 --rows` (h100, the 56 suite operators, estimates compared in absolute
    /// terms): 0.27% lower in geometric mean over 896 constructions (0.32% batch-1, 0.25% batch-32, 0.12%
    /// GPT-2), seed 0's constructions 5.6% fewer states in mean and 9,149 at most instead of 10,530.
    /// 0.07 and 0.15 gave 0.20% and 0.25% lower.
    /// </summary>
    public const double StartTemperature = 0.1, EndTemperature = 0.02;

    /// <summary>Smallest weight an edge to a worse (but legal) state keeps.</summary>
    public const double WorseningFloor = 0.02;

    /// <summary>
    /// Kernel families whose best state is within this factor of the best of all also descend at the
    /// end. A family is a set of staged inputs with or without lanes sharing the reduction: kernels of
    /// different families differ in several choices at once, and a walk that settles in one rarely
    /// crosses to another whose optimum is better (our choice). With 4 walkers and these descents
    /// instead of 7 walkers and one descent (`Gensor.Bench seeds`, h100, the 56 suite operators, seeds
    /// 0-7): 11% fewer states, estimates within 0.2% in geometric mean (0.3% lower for seed 0), and
    /// GPT-2's QKV and attention-projection GEMMs end at the best of the eight from every seed (with 7
    /// walkers, QKV's seed 0 ended 1.8% above exhaustive enumeration's optimum). They descend over pairs
    /// of primitives within a budget of states (<see cref="FamilyPairStates"/>), plainly past it.
    /// </summary>
    public const double FamilyReach = 1.1;

    /// <summary>
    /// At most this many families descend besides the best one: an operator with many inputs has as many
    /// families as sets of them to stage, often all within <see cref="FamilyReach"/> (a sum of 300 inputs
    /// ran for minutes without this cap).
    /// </summary>
    public const int MaxFamilyDescents = 4;

    /// <summary>
    /// The other families' leaders descend over pairs of primitives while the construction has seen fewer
    /// states than this, plainly after: a descent over pairs costs up to about 4,500 states for a
    /// convolution (67 primitives squared), and the largest constructions had reached 12,400 states with
    /// them. Measured with `Gensor.Bench seeds --seeds 16 --rows` (h100, the 56 suite operators) against
    /// plain descents for every family: estimates 0.1% lower in geometric mean, GPT-2's attention-context
    /// and attention-projection seed 0 back on their staged tiles (1.0% and 0.6% lower), the largest
    /// seed-0 construction unchanged at 10,530 states; 7,080 states per construction in mean against 6,145.
    /// </summary>
    public const int FamilyPairStates = 7000;

    public string Name => "gensor";

    public ConstructionResult Construct(Operator op, HardwareProfile profile, ConstructionOptions options)
    {
        var watch = Stopwatch.StartNew();
        var graph = new Graph(op, profile);
        // Start points: the naive program, and Roller's constructions (the walk starts where
        // tree-based construction stops, and improves on it). An operator with too few outputs
        // to give every SM its occupancy goal of threads also starts from its reduction shared
        // by threads (our choice): from one thread per output, the walk to a matrix-vector
        // kernel crosses a plateau that only several moves together leave (h100, ResNet-50's
        // fc: 1.51 of exhaustive from 4 of 8 seeds without this start, 1.00 from all with it).
        var roller = new RollerPolicy().Construct(op, profile, options with { TopK = 3 });
        var starts = new List<Schedule> { NaivePolicy.ScheduleFor(op, profile) };
        var fewOutputs = op.Output.ElementCount < (long)profile.Multiprocessors * Math.Max(profile.OccupancyGoalThreads, profile.WarpSize);
        if (fewOutputs && NaivePolicy.SharedReductionScheduleFor(op, profile) is { } shared)
        {
            starts.Add(shared);
        }
        starts.AddRange(roller.Candidates.Select(candidate => candidate.Schedule));
        starts = [.. starts.Where(s => graph.Cost(s) < double.PositiveInfinity).Distinct()];
        var random = new Random(options.Seed);
        // A walk of the default length would visit a good part of a small space;
        // shorten it in proportion below SmallSpace states (our choice: the walk
        // should stay a small fraction of what enumeration costs).
        var size = ScheduleSpace.For(op).Size;
        var walkSteps = size >= SmallSpace ? steps : Math.Max(MinSteps, (int)(steps * size / SmallSpace));
        var overall = starts.Count > 0 ? starts.MinBy(graph.Cost)! : null;
        var walks = Math.Max(walkers, starts.Count);
        for (var w = 0; w < walks && overall is not null; w++)
        {
            // One walker leaves from each start; when there are fewer starts than walkers, the
            // rest restart from the best state found so far (our choice).
            var current = w < starts.Count ? starts[w] : overall;
            var best = current;
            for (var step = 0; step < walkSteps; step++)
            {
                var temperature = StartTemperature + (EndTemperature - StartTemperature) * step / Math.Max(1, walkSteps - 1);
                var next = Step(graph, current, temperature, random);
                if (next is null)
                {
                    break;
                }
                current = next;
                if (graph.Cost(current) < graph.Cost(best))
                {
                    best = current;
                }
            }
            best = Descend(graph, best);
            if (graph.Cost(best) < graph.Cost(overall))
            {
                overall = best;
            }
        }
        if (overall is not null)
        {
            // From the best state seen, which may be a neighbour weighed but never taken and better
            // than every walk's end, and from the best of the next families. The states they reach
            // join the graph, which the ranking below reads.
            var best = Descend(graph, graph.Best(), overPairs: true);
            foreach (var leader in FamilyLeaders(graph.Legal()).Skip(1).Take(MaxFamilyDescents))
            {
                if (graph.Cost(leader) > graph.Cost(best) * FamilyReach)
                {
                    break;
                }
                Descend(graph, leader, overPairs: graph.StatesSeen < FamilyPairStates);
            }
        }
        var ranked = Ranking.TopRanked(graph.Legal(), options.TopK);
        return new ConstructionResult(Name, ranked, graph.StatesSeen + roller.StatesVisited, watch.Elapsed.TotalMilliseconds);
    }

    /// <summary>The best state of each kernel family (staged inputs, lanes sharing the reduction or not), best first.</summary>
    private static IEnumerable<Schedule> FamilyLeaders(List<RankedSchedule> legal)
    {
        // Keyed by a record class and sorted as an array: generics over value types would run unoptimised in a fresh process (see Legal).
        var leaders = new Dictionary<Family, RankedSchedule>();
        foreach (var candidate in legal)
        {
            var family = new Family(candidate.Schedule.SharedInputs, candidate.Schedule.ReduceThreads > 1);
            if (!leaders.TryGetValue(family, out var leader) || candidate.EstimatedMs < leader.EstimatedMs)
            {
                leaders[family] = candidate;
            }
        }
        var best = leaders.Values.ToArray();
        Array.Sort(best, static (x, y) => x.EstimatedMs.CompareTo(y.EstimatedMs));
        return best.Select(leader => leader.Schedule);
    }

    /// <summary>A kernel family: the inputs staged in shared memory, and whether lanes share the reduction.</summary>
    private sealed record Family(ValueArray<string> Staged, bool SharedReduction);

    private static Schedule? Step(Graph graph, Schedule current, double temperature, Random random)
    {
        var cost = graph.Cost(current);
        var neighbours = graph.Neighbours(current);
        if (neighbours.Length == 0)
        {
            return null;
        }
        Span<double> weights = stackalloc double[neighbours.Length];
        var total = 0.0;
        for (var i = 0; i < neighbours.Length; i++)
        {
            var gain = cost / graph.Cost(neighbours[i]);
            // exp(-log(cost'/cost) / T): a 10% gain at T = 0.2 weighs 1.61, at T = 0.02 117.
            var weight = Math.Pow(gain, 1 / temperature);
            weights[i] = gain >= 1 ? weight : Math.Max(weight, WorseningFloor);
            total += weights[i];
        }
        var pick = random.NextDouble() * total;
        for (var i = 0; i < neighbours.Length; i++)
        {
            pick -= weights[i];
            if (pick <= 0)
            {
                return neighbours[i];
            }
        }
        return neighbours[^1];
    }

    /// <summary>
    /// Greedy descent: to the best state one primitive away until none is better. With
    /// <paramref name="overPairs"/> it looks one or two primitives away, and after each such move
    /// descends plainly (our choice, run once from the best state of all walks): the model's
    /// occupancy and wave steps make some optima reachable only by two moves whose middle state is
    /// worse, such as a larger reduce step together with a smaller thread tile. That costs a few
    /// hundred states (h100, seeds 0-7: batch-1 s1_expand's seed 0 ends at exhaustive's optimum
    /// instead of 1.6% above it).
    /// </summary>
    private static Schedule Descend(Graph graph, Schedule start, bool overPairs = false)
    {
        var current = start;
        while (true)
        {
            var best = current;
            foreach (var neighbour in graph.Neighbours(current))
            {
                best = graph.Cost(neighbour) < graph.Cost(best) ? neighbour : best;
                if (!overPairs)
                {
                    continue;
                }
                foreach (var second in graph.Neighbours(neighbour))
                {
                    best = graph.Cost(second) < graph.Cost(best) ? second : best;
                }
            }
            if (best == current)
            {
                return current;
            }
            current = overPairs ? Descend(graph, best) : best;
        }
    }

    /// <summary>The part of the construction graph seen so far: costs per state and legal edges per expanded state.</summary>
    private sealed class Graph(Operator op, HardwareProfile profile)
    {
        private readonly IReadOnlyList<IPrimitive> _primitives = PrimitiveSet.For(op);

        // One table of reference values: a dictionary from schedules to doubles is a framework generic
        // that no ReadyToRun image holds, and a fresh process would look states up in unoptimised code.
        private readonly Dictionary<Schedule, State> _states = [];

        public int StatesSeen => _states.Count;

        /// <summary>Every legal state seen, with its estimate.</summary>
        public List<RankedSchedule> Legal()
        {
            // A plain loop: LINQ over the dictionary's pairs is a framework generic that no ReadyToRun image
            // holds, and a fresh process ran it unoptimised (9-12 ms of a 110 ms construction for 8,000 states).
            var legal = new List<RankedSchedule>(_states.Count);
            foreach (var (schedule, state) in _states)
            {
                if (state.Cost < double.PositiveInfinity)
                {
                    legal.Add(new RankedSchedule(schedule, state.Cost));
                }
            }
            return legal;
        }

        /// <summary>The legal state of lowest estimate seen so far (the first such when several tie).</summary>
        public Schedule Best()
        {
            Schedule? best = null;
            var cost = double.PositiveInfinity;
            foreach (var (schedule, state) in _states)
            {
                if (state.Cost < cost)
                {
                    (best, cost) = (schedule, state.Cost);
                }
            }
            return best ?? throw new InvalidOperationException("no legal state was seen");
        }

        /// <summary>The estimate of a state, +infinity when it is illegal; computed once per state.</summary>
        public double Cost(Schedule schedule) => StateOf(schedule).Cost;

        /// <summary>The legal states one primitive away, in primitive order.</summary>
        public Schedule[] Neighbours(Schedule schedule)
        {
            var state = StateOf(schedule);
            if (state.Neighbours is null)
            {
                var list = new List<Schedule>(_primitives.Count);
                foreach (var primitive in _primitives)
                {
                    if (primitive.Apply(op, schedule).Schedule is { } next && next != schedule && Cost(next) < double.PositiveInfinity)
                    {
                        list.Add(next);
                    }
                }
                state.Neighbours = [.. list];
            }
            return state.Neighbours;
        }

        private State StateOf(Schedule schedule)
        {
            if (!_states.TryGetValue(schedule, out var state))
            {
                var cost = Legality.Check(op, schedule, profile) is null ? CostModel.EstimateMs(op, schedule, profile) : double.PositiveInfinity;
                state = new State(cost);
                _states[schedule] = state;
            }
            return state;
        }

        private sealed class State(double cost)
        {
            public double Cost { get; } = cost;

            public Schedule[]? Neighbours { get; set; }
        }
    }
}
