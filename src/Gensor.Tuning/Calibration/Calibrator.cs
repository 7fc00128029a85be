using Gensor.Construction.Cost;
using Gensor.Hardware;

namespace Gensor.Tuning.Calibration;

/// <summary>
/// Fits a profile's cost-model constants to measured kernels: it minimises the
/// robust (Huber) mean of log(estimate / measured), each operator weighted
/// equally, over the constants of <see cref="CalibrationParameter.All"/> that
/// the samples identify. The search is in log space within bounds and
/// deterministic: a coarse sweep of each constant over its range (the model's
/// bounds are maxima, so a constant can be invisible until it is large enough
/// to matter), then bounded Nelder–Mead over the identified constants.
/// </summary>
public static class Calibrator
{
    /// <summary>Residuals beyond this (a factor of 2) count linearly, so a few wild measurements do not pull the fit.</summary>
    public const double HuberDelta = 0.6931471805599453;

    /// <summary>
    /// A constant is identified when doubling it moves the (weighted RMS) log estimate by at least this much...
    /// </summary>
    public const double MinSensitivity = 0.02;

    /// <summary>...and at least this share of its effect is not the effect of constants preferred to it.</summary>
    public const double MinIndependence = 0.1;

    /// <summary>The relative gain in the objective that keeps a constant the samples do not identify away from its base value.</summary>
    public const double MaterialGain = 1e-3;

    /// <summary>Calibrates <paramref name="baseProfile"/> to <paramref name="samples"/>, considering <paramref name="parameters"/> (default: all).</summary>
    public static CalibrationResult Fit(IReadOnlyList<CalibrationSample> samples, HardwareProfile baseProfile, IReadOnlyList<CalibrationParameter>? parameters = null)
    {
        if (samples.Count == 0)
        {
            throw new ArgumentException("no samples to calibrate with", nameof(samples));
        }
        var considered = parameters ?? CalibrationParameter.All;
        // A constant that is 0 in the base profile switches its effect off (thread_sync_ns on a GPU):
        // it stays off, and a log-space search could not move it anyway.
        var candidates = considered.Where(p => p.Get(baseProfile) > 0).ToArray();
        var problem = new Problem(samples, baseProfile, candidates);
        // A copy: the sweeps move it, and Start stays what "kept" and "fitted" are judged against.
        var swept = (double[])problem.Start.Clone();
        var before = problem.Quality(swept);

        // Coarse sweeps: each constant alone over its range, a factor of ~3 apart.
        for (var sweep = 0; sweep < 2; sweep++)
        {
            for (var j = 0; j < candidates.Length; j++)
            {
                var current = problem.Objective(swept);
                var bestValue = current;
                var bestX = swept[j];
                for (var k = -12; k <= 12; k++)
                {
                    var trial = (double[])swept.Clone();
                    trial[j] = Math.Clamp(swept[j] + k * Math.Log(10) / 2, problem.Low[j], problem.High[j]);
                    var value = problem.Objective(trial);
                    if (value < bestValue - 1e-12 * Math.Max(1, bestValue))
                    {
                        bestValue = value;
                        bestX = trial[j];
                    }
                }
                swept[j] = bestX;
            }
        }

        // Nelder–Mead over what the samples identify, from the sweeps' point and from the base profile:
        // the model's kinks (its min and max terms) make local minima, and the sweeps, one constant at
        // a time, can land in the wrong one (an H100 fit whose latency came back 23% high did).
        var (x, selected, status) = Refine(problem, swept);
        var (fromBase, selectedFromBase, statusFromBase) = Refine(problem, (double[])problem.Start.Clone());
        if (problem.Objective(fromBase) < problem.Objective(x))
        {
            (x, selected, status) = (fromBase, selectedFromBase, statusFromBase);
        }

        // A constant the samples do not identify goes back to its base value, unless the sweep
        // moved it somewhere that matters (across one of the model's kinks): by more than a
        // thousandth of the objective. A last-digit gain moved barrier_ns a thousandfold when it
        // was fitted alone, with the fit's figures unchanged (found by fuzzing).
        var final = (double[])x.Clone();
        for (var j = 0; j < candidates.Length; j++)
        {
            if (selected.Contains(j))
            {
                continue;
            }
            var restored = (double[])final.Clone();
            restored[j] = problem.Start[j];
            if (problem.Objective(restored) <= problem.Objective(final) * (1 + MaterialGain) + 1e-12)
            {
                final = restored;
            }
        }
        var off = considered.Where(p => !(p.Get(baseProfile) > 0))
            .Select(p => new ParameterFit(p.Name, p.Get(baseProfile), p.Get(baseProfile), false, "0 in the base profile: the effect is off"));
        var fits = candidates.Select((parameter, j) =>
        {
            var fitted = selected.Contains(j) || final[j] != problem.Start[j];
            var atBound = Math.Abs(final[j] - problem.Low[j]) < 1e-9 || Math.Abs(final[j] - problem.High[j]) < 1e-9;
            // A value at the edge of the search range is where the fit ran out of room, not a measurement of the constant.
            var note = !fitted ? status[j].Note : atBound ? "at the edge of its search range: the records do not pin it" : null;
            return new ParameterFit(parameter.Name, parameter.Get(baseProfile), fitted ? Math.Exp(final[j]) : parameter.Get(baseProfile), fitted, note);
        }).Concat(off).OrderBy(f => considered.Select(p => p.Name).ToList().IndexOf(f.Name)).ToArray();
        // A fitted constant is a figure measured on the device now, not one borrowed from a built-in profile.
        var measured = fits.Where(f => f.Fitted).Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var profile = problem.ToProfile(final);
        if (profile.EstimatedFields.Any(measured.Contains))
        {
            profile = profile with { EstimatedFields = [.. profile.EstimatedFields.Where(field => !measured.Contains(field))] };
        }
        return new CalibrationResult(profile, fits, before, problem.Quality(final), problem.Evaluations);
    }

    /// <summary>Nelder–Mead over the constants the samples identify at <paramref name="x"/>, until that set settles; moves <paramref name="x"/> and returns it.</summary>
    private static (double[] X, int[] Selected, IReadOnlyList<ParameterFit> Status) Refine(Problem problem, double[] x)
    {
        IReadOnlyList<ParameterFit> status = [];
        int[] selected = [];
        for (var round = 0; round < 4; round++)
        {
            (selected, status) = problem.Identify(x);
            var chosen = selected;
            var start = chosen.Select(j => x[j]).ToArray();
            var frozen = (double[])x.Clone();
            double Sub(double[] y)
            {
                var full = (double[])frozen.Clone();
                for (var i = 0; i < chosen.Length; i++)
                {
                    full[chosen[i]] = y[i];
                }
                return problem.Objective(full);
            }
            var (point, _, _) = BoundedNelderMead.Minimize(Sub, start,
                chosen.Select(j => problem.Low[j]).ToArray(), chosen.Select(j => problem.High[j]).ToArray(),
                step: Math.Log(2), maxEvaluations: 600 * Math.Max(1, chosen.Length));
            for (var i = 0; i < chosen.Length; i++)
            {
                x[chosen[i]] = point[i];
            }
            var (again, _) = problem.Identify(x);
            if (again.SequenceEqual(selected))
            {
                break;
            }
        }
        return (x, selected, status);
    }

    /// <summary>The samples, the constants in log space, and the objective.</summary>
    private sealed class Problem
    {
        private readonly IReadOnlyList<CalibrationSample> _samples;
        private readonly HardwareProfile _base;
        private readonly IReadOnlyList<CalibrationParameter> _parameters;
        private readonly double[] _weights;
        private readonly double[] _logMeasured;

        public Problem(IReadOnlyList<CalibrationSample> samples, HardwareProfile baseProfile, IReadOnlyList<CalibrationParameter> parameters)
        {
            _samples = samples;
            _base = baseProfile;
            _parameters = parameters;
            // Each operator weighs the same, however many of its schedules were measured.
            var perOperator = samples.GroupBy(s => s.OpHash).ToDictionary(g => g.Key, g => g.Count());
            var operators = perOperator.Count;
            _weights = samples.Select(s => 1.0 / (perOperator[s.OpHash] * operators)).ToArray();
            _logMeasured = samples.Select(s => Math.Log(s.MeasuredMs)).ToArray();
            Start = parameters.Select(p => Math.Log(p.Get(baseProfile))).ToArray();
            Low = parameters.Select(p => Math.Log(p.Bounds(p.Get(baseProfile)).Low)).ToArray();
            High = parameters.Select(p => Math.Log(p.Bounds(p.Get(baseProfile)).High)).ToArray();
        }

        public double[] Start { get; }

        public double[] Low { get; }

        public double[] High { get; }

        public int Evaluations { get; private set; }

        public HardwareProfile ToProfile(double[] x)
        {
            var profile = _base;
            for (var j = 0; j < _parameters.Count; j++)
            {
                // A constant at its start is the base value itself, not exp(log(value)) a rounding away from it.
                profile = x[j] == Start[j] ? profile : _parameters[j].Set(profile, _parameters[j].Accepted(Math.Exp(x[j])));
            }
            return profile;
        }

        public double[] LogEstimates(double[] x)
        {
            var profile = ToProfile(x);
            var logs = new double[_samples.Count];
            // Each sample is independent; the sum below runs in order, so the result does not depend on threads.
            Parallel.For(0, _samples.Count, i =>
            {
                var estimate = _samples[i].EstimateMs(profile);
                logs[i] = estimate > 0 && double.IsFinite(estimate) ? Math.Log(estimate) : double.NaN;
            });
            return logs;
        }

        public double Objective(double[] x)
        {
            Evaluations++;
            var logs = LogEstimates(x);
            double total = 0;
            for (var i = 0; i < logs.Length; i++)
            {
                var r = double.IsNaN(logs[i]) ? 1e3 : Math.Abs(logs[i] - _logMeasured[i]);
                total += _weights[i] * (r <= HuberDelta ? 0.5 * r * r : HuberDelta * (r - 0.5 * HuberDelta));
            }
            return total;
        }

        public FitQuality Quality(double[] x) => FitQuality.Of(_samples, LogEstimates(x).Select(Math.Exp).ToArray());

        /// <summary>
        /// The constants the samples identify at <paramref name="x"/>, in preference order:
        /// the columns of d log(estimate) / d log(constant), weighted, are orthogonalised in
        /// that order, and a constant counts when its column is large enough and enough of it
        /// is left after the preferred ones are taken out. The others get the reason why not.
        /// </summary>
        public (int[] Selected, IReadOnlyList<ParameterFit> Status) Identify(double[] x)
        {
            var n = _parameters.Count;
            var columns = new double[n][];
            const double h = 0.05;
            for (var j = 0; j < n; j++)
            {
                var up = (double[])x.Clone();
                var down = (double[])x.Clone();
                up[j] = Math.Min(High[j], x[j] + h);
                down[j] = Math.Max(Low[j], x[j] - h);
                var width = up[j] - down[j];
                var a = LogEstimates(up);
                var b = LogEstimates(down);
                columns[j] = a.Select((v, i) => width > 0 && double.IsFinite(v) && double.IsFinite(b[i]) ? (v - b[i]) / width : 0).ToArray();
            }
            double Dot(double[] u, double[] v)
            {
                double sum = 0;
                for (var i = 0; i < u.Length; i++)
                {
                    sum += _weights[i] * u[i] * v[i];
                }
                return sum;
            }
            var basis = new List<double[]>();
            var selected = new List<int>();
            var status = new ParameterFit[n];
            for (var j = 0; j < n; j++)
            {
                var norm = Math.Sqrt(Dot(columns[j], columns[j]));
                var residual = (double[])columns[j].Clone();
                foreach (var q in basis)
                {
                    var c = Dot(residual, q);
                    for (var i = 0; i < residual.Length; i++)
                    {
                        residual[i] -= c * q[i];
                    }
                }
                var left = Math.Sqrt(Dot(residual, residual));
                string? note = null;
                // Doubling the constant moves log estimates by norm * ln 2.
                if (norm * Math.Log(2) < MinSensitivity)
                {
                    note = "no estimate depends on it";
                }
                else if (left < MinIndependence * norm)
                {
                    var like = selected.OrderByDescending(k => Math.Abs(Dot(columns[k], columns[j])) / Math.Sqrt(Dot(columns[k], columns[k]))).First();
                    note = $"moves the estimates as {_parameters[like].Name} does";
                }
                else
                {
                    selected.Add(j);
                    basis.Add(residual.Select(v => v / left).ToArray());
                }
                status[j] = new ParameterFit(_parameters[j].Name, Math.Exp(Start[j]), Math.Exp(x[j]), note is null, note);
            }
            return (selected.ToArray(), status);
        }
    }
}
