namespace Gensor.Tuning.Calibration;

/// <summary>
/// Nelder–Mead minimisation in a box, deterministic: the same start gives the
/// same steps. Points outside the box are projected onto it before they are
/// evaluated, and the search restarts from its best point with a fresh simplex
/// until a restart gains nothing, which keeps the simplex from collapsing early
/// on the kinks that the model's max() of bounds puts in the objective.
/// </summary>
public static class BoundedNelderMead
{
    /// <summary>The best point found, its value and the evaluations spent.</summary>
    /// <param name="objective">The function to minimise.</param>
    /// <param name="start">The starting point (projected onto the box).</param>
    /// <param name="low">The box's lower corner.</param>
    /// <param name="high">The box's upper corner.</param>
    /// <param name="step">The initial simplex's edge along each coordinate.</param>
    /// <param name="maxEvaluations">A budget of evaluations over all restarts.</param>
    public static (double[] Point, double Value, int Evaluations) Minimize(
        Func<double[], double> objective, double[] start, double[] low, double[] high, double step, int maxEvaluations)
    {
        var n = start.Length;
        var evaluations = 0;
        double F(double[] x)
        {
            evaluations++;
            return objective(x);
        }
        var best = Project(start, low, high);
        var bestValue = F(best);
        if (n == 0)
        {
            return (best, bestValue, evaluations);
        }
        for (var restart = 0; restart < 20 && evaluations < maxEvaluations; restart++)
        {
            var (point, value) = Run(F, best, bestValue, low, high, step, () => evaluations < maxEvaluations);
            var gain = bestValue - value;
            if (value < bestValue)
            {
                best = point;
                bestValue = value;
            }
            if (!(gain > 1e-12 * Math.Max(1, Math.Abs(bestValue))))
            {
                break;
            }
        }
        return (best, bestValue, evaluations);
    }

    private static (double[] Point, double Value) Run(
        Func<double[], double> f, double[] start, double startValue, double[] low, double[] high, double step, Func<bool> budgetLeft)
    {
        var n = start.Length;
        var simplex = new double[n + 1][];
        var values = new double[n + 1];
        simplex[0] = start;
        values[0] = startValue;
        for (var j = 0; j < n; j++)
        {
            var vertex = (double[])start.Clone();
            // Step inwards where the start sits at the upper bound.
            vertex[j] = start[j] + step <= high[j] ? start[j] + step : start[j] - step;
            simplex[j + 1] = Project(vertex, low, high);
            values[j + 1] = f(simplex[j + 1]);
        }
        var order = new int[n + 1];
        while (budgetLeft())
        {
            for (var i = 0; i <= n; i++)
            {
                order[i] = i;
            }
            // A stable order (ties by index) keeps the run deterministic.
            Array.Sort(order, (a, b) => values[a] != values[b] ? values[a].CompareTo(values[b]) : a.CompareTo(b));
            var bestIndex = order[0];
            var worstIndex = order[n];
            var secondWorst = order[n - 1 >= 0 ? n - 1 : 0];
            if (Converged(simplex, values, bestIndex, worstIndex))
            {
                break;
            }
            var centroid = new double[n];
            foreach (var i in order[..n])
            {
                for (var j = 0; j < n; j++)
                {
                    centroid[j] += simplex[i][j] / n;
                }
            }
            double[] Toward(double coefficient) =>
                Project(centroid.Select((c, j) => c + coefficient * (simplex[worstIndex][j] - c)).ToArray(), low, high);
            var reflected = Toward(-1);
            var reflectedValue = f(reflected);
            if (reflectedValue < values[bestIndex])
            {
                var expanded = Toward(-2);
                var expandedValue = f(expanded);
                (simplex[worstIndex], values[worstIndex]) = expandedValue < reflectedValue ? (expanded, expandedValue) : (reflected, reflectedValue);
                continue;
            }
            if (reflectedValue < values[secondWorst])
            {
                (simplex[worstIndex], values[worstIndex]) = (reflected, reflectedValue);
                continue;
            }
            var contracted = reflectedValue < values[worstIndex] ? Toward(-0.5) : Toward(0.5);
            var contractedValue = f(contracted);
            if (contractedValue < Math.Min(reflectedValue, values[worstIndex]))
            {
                (simplex[worstIndex], values[worstIndex]) = (contracted, contractedValue);
                continue;
            }
            // Shrink towards the best vertex.
            foreach (var i in order[1..])
            {
                simplex[i] = Project(simplex[i].Select((x, j) => simplex[bestIndex][j] + 0.5 * (x - simplex[bestIndex][j])).ToArray(), low, high);
                values[i] = f(simplex[i]);
            }
        }
        var winner = Enumerable.Range(0, n + 1).OrderBy(i => values[i]).ThenBy(i => i).First();
        return (simplex[winner], values[winner]);
    }

    private static bool Converged(double[][] simplex, double[] values, int bestIndex, int worstIndex)
    {
        var spread = values[worstIndex] - values[bestIndex];
        double size = 0;
        foreach (var vertex in simplex)
        {
            for (var j = 0; j < vertex.Length; j++)
            {
                size = Math.Max(size, Math.Abs(vertex[j] - simplex[bestIndex][j]));
            }
        }
        return spread <= 1e-13 * Math.Max(1, Math.Abs(values[bestIndex])) && size <= 1e-7
            || size <= 1e-10;
    }

    private static double[] Project(double[] x, double[] low, double[] high) =>
        x.Select((v, j) => Math.Clamp(v, low[j], high[j])).ToArray();
}
