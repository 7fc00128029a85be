using System.Diagnostics;
using Gensor.Backend.Compilation;
using Gensor.Etir;
using Gensor.Reference;
using ILGPU;
using ILGPU.Runtime;

namespace Gensor.Backend.Runtime;

/// <summary>
/// Runs candidate kernels of one operator on a device: the inputs, their
/// reference result and the device buffers are made once and shared by all
/// candidates. Each candidate is verified against the reference before its
/// time counts: twice over two output fills, and for a sum of products or a
/// maximum once more on integer inputs, on which it must be exact.
/// </summary>
public sealed class KernelRunner : IDisposable
{
    private readonly KernelDevice _device;
    private readonly Operator _op;
    private readonly ReferenceResult _reference;
    private readonly IReadOnlyDictionary<string, float[]> _inputData;
    private ReferenceResult? _tf32Reference;
    private readonly DeviceTensor _output;
    private readonly DeviceTensor[] _inputs;
    private readonly Dictionary<string, DeviceTensor> _byName = [];
    private readonly float[] _firstPoison;
    private readonly float[] _secondPoison;
    // Integer inputs on which every correct kernel is exact (InputGenerator.IntegerMagnitude), and their
    // reference, whose bound is then zero; null where the operator has no such inputs.
    private readonly ReferenceResult? _integerReference;
    private readonly Dictionary<string, DeviceTensor>? _integerByName;
    // What a passing comparison cannot tell apart (Verifier.Blindness), once per reference: the inputs are fixed.
    private readonly Dictionary<ReferenceResult, string?> _blindness = new(ReferenceEqualityComparer.Instance);

    // Two fills a correct kernel overwrites everywhere: a quiet NaN with a
    // payload no arithmetic produces, then a huge negative finite value. An
    // element that differs between the two runs was never written (or the
    // kernel read its own output, or raced: on an H200, kernels whose barriers
    // ILGPU's O2 had reordered); one NaN fill alone would pass an unwritten
    // element wherever the reference is NaN. A 16-bit output stores them as
    // a NaN and as negative infinity, still two different fills.
    private static readonly float _firstFill = BitConverter.Int32BitsToSingle(0x7FC05A5A);
    private static readonly float _secondFill = BitConverter.Int32BitsToSingle(unchecked((int)0xFF7FA5A5));

    /// <summary>Makes inputs from <paramref name="seed"/>, evaluates the reference and uploads the inputs.</summary>
    public KernelRunner(KernelDevice device, Operator op, int seed)
    {
        _device = device;
        _op = op;
        var inputs = InputGenerator.Generate(op, seed);
        _inputData = inputs;
        _reference = ReferenceEvaluator.Evaluate(op, inputs);
        var accelerator = device.Accelerator;
        _output = DeviceTensor.Allocate(accelerator, op.Output.Type, op.Output.ElementCount);
        _inputs = op.Inputs.Select(tensor =>
        {
            var buffer = DeviceTensor.Allocate(accelerator, tensor.Type, tensor.ElementCount);
            buffer.Upload(inputs[tensor.Name]);
            return buffer;
        }).ToArray();
        _byName[op.Output.Name] = _output;
        for (var i = 0; i < op.Inputs.Count; i++)
        {
            _byName[op.Inputs[i].Name] = _inputs[i];
        }
        _firstPoison = Enumerable.Repeat(_firstFill, (int)op.Output.ElementCount).ToArray();
        _secondPoison = Enumerable.Repeat(_secondFill, (int)op.Output.ElementCount).ToArray();
        if (IntegerRun(op, seed) is var (integers, integerReference))
        {
            _integerReference = integerReference;
            _integerByName = new Dictionary<string, DeviceTensor> { [op.Output.Name] = _output };
            foreach (var tensor in op.Inputs)
            {
                var buffer = DeviceTensor.Allocate(accelerator, tensor.Type, tensor.ElementCount);
                buffer.Upload(integers[tensor.Name]);
                _integerByName[tensor.Name] = buffer;
            }
        }
    }

    /// <summary>
    /// The integer inputs and their reference (<see cref="InputGenerator.IntegerMagnitude"/>), or null where
    /// the operator has none, or where none leaves an output to check: integers up to 8 make sums about 8
    /// times those of random inputs, and an exp epilogue or a 16-bit output can then overflow at every element
    /// (found by fuzzing: every correct kernel of such an operator failed). Integers of 1 are tried next.
    /// </summary>
    private static (IReadOnlyDictionary<string, float[]> Inputs, ReferenceResult Reference)? IntegerRun(Operator op, int seed)
    {
        if (InputGenerator.IntegerMagnitude(op) is not { } largest)
        {
            return null;
        }
        foreach (var magnitude in largest > 1 ? [largest, 1] : new[] { largest })
        {
            var inputs = InputGenerator.GenerateIntegers(op, seed, magnitude);
            var reference = ReferenceEvaluator.Evaluate(op, inputs);
            if (reference.HasCheckableElement())
            {
                return (inputs, reference);
            }
        }
        return null;
    }

    /// <summary>Loads, verifies and (if verified) times one compiled candidate. Never throws for a bad kernel.</summary>
    public Measurement Run(CompiledSource compiled, MeasureOptions options)
    {
        if (compiled.Method is null)
        {
            return Measurement.Failed($"does not compile: {compiled.Error}");
        }
        var launch = compiled.Source.Launch;
        var clock = Stopwatch.StartNew();
        Kernel kernel;
        try
        {
            kernel = _device.LoadKernel(compiled.Method);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return Measurement.Failed($"ILGPU could not compile it: {exception.Message}", clock.Elapsed.TotalMilliseconds);
        }
        var loadMs = clock.Elapsed.TotalMilliseconds;
        using (kernel)
        {
            try
            {
                var config = new KernelConfig(launch.GridSize, launch.GroupSize);
                var arguments = Arguments(launch, _byName);
                var stream = _device.Accelerator.DefaultStream;
                var adds = launch.AddsIntoOutput;
                // A kernel that adds into its output is run as its contract says, on zeros; an element it
                // never writes stays 0 and fails wherever the reference is not 0.
                var actual = RunOnce(kernel, stream, config, arguments, adds ? null : _firstPoison);
                var again = adds ? actual : RunOnce(kernel, stream, config, arguments, _secondPoison);
                // TF32 tensor cores round the float32 inputs: their reference's error bounds say so.
                var reference = compiled.Source.State.Schedule.Mma == MmaShape.M16N8K8Tf32 ? Tf32Reference() : _reference;
                var check = Verifier.Compare(reference, actual, Unwritten(actual, again));
                if (!check.Passed)
                {
                    return new Measurement(false, check.MaxAbsError, null, null, null, 0, loadMs,
                        check.Checked == 0 && check.FirstBadIndex < 0 ? $"cannot be verified: {check.Problem}" : $"wrong result: {check.Problem}")
                    {
                        Tolerance = check.Tolerance,
                    };
                }
                if (Blindness(reference) is { } blind && (_integerReference is null || Blindness(_integerReference) is not null))
                {
                    // Passing says nothing where any value of the output's size would pass, unless the integer run can tell.
                    return new Measurement(false, check.MaxAbsError, null, null, null, 0, loadMs,
                        $"cannot be verified: on random inputs {blind}{(_integerReference is null ? ", and the operator has no exact integer run" : ", and on integer inputs too")}")
                    {
                        Tolerance = check.Tolerance,
                    };
                }
                if (_integerReference is not null)
                {
                    // Random inputs' bound grows with the reduction until one dropped or misread term fits
                    // inside it (at k = 16384 a whole 32-term tile did); on these integers it is zero. A
                    // maximum's are all negative: one that starts from 0 shows.
                    var integerArguments = Arguments(launch, _integerByName!);
                    var exactRun = RunOnce(kernel, stream, config, integerArguments, adds ? null : _firstPoison);
                    var exactCheck = Verifier.Compare(_integerReference, exactRun);
                    if (!exactCheck.Passed)
                    {
                        return new Measurement(false, exactCheck.MaxAbsError, null, null, null, 0, loadMs,
                            $"wrong result on integer inputs, on which a correct kernel is exact: {exactCheck.Problem}")
                        {
                            Tolerance = exactCheck.Tolerance,
                        };
                    }
                }
                for (var i = 0; i < options.WarmupRuns; i++)
                {
                    Launch(kernel, stream, config, arguments, adds);
                }
                stream.Synchronize();
                var times = new List<double>();
                var total = 0.0;
                while (times.Count < options.MinRepetitions || (total < options.MinTotalMs && times.Count < options.MaxRepetitions))
                {
                    // Device-side markers: on a GPU they time the kernel alone, not the launch overhead of the host.
                    // Clearing the output is part of a split kernel's work, so it is timed with it.
                    using var start = stream.AddProfilingMarker();
                    Launch(kernel, stream, config, arguments, adds);
                    using var end = stream.AddProfilingMarker();
                    stream.Synchronize();
                    var ms = end.MeasureFrom(start).TotalMilliseconds;
                    times.Add(ms);
                    total += ms;
                }
                times.Sort();
                return new Measurement(true, check.MaxAbsError, times[times.Count / 2], times[0], times[^1], times.Count, loadMs, null)
                {
                    Tolerance = check.Tolerance,
                    CheckedElements = check.Checked,
                };
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                return Measurement.Failed($"failed to run: {exception.Message}", loadMs);
            }
        }
    }

    /// <summary>The reference this runner verifies against (its values and error bounds).</summary>
    public ReferenceResult Reference => _reference;

    private string? Blindness(ReferenceResult reference)
    {
        if (!_blindness.TryGetValue(reference, out var why))
        {
            _blindness[reference] = why = Verifier.Blindness(reference);
        }
        return why;
    }

    private ReferenceResult Tf32Reference() =>
        _tf32Reference ??= ReferenceEvaluator.Evaluate(_op, _inputData, Tolerance.Of(_op, tf32: true));

    /// <summary>The kernel's arguments in the launch contract's order, the order it declares its parameters in: the buffers, then their addresses.</summary>
    private static object[] Arguments(Launch.LaunchContract launch, IReadOnlyDictionary<string, DeviceTensor> buffers) =>
        launch.Tensors.Select(tensor => buffers[tensor.Name].View)
            .Concat(launch.Addresses.Select(address => (object)buffers[address.Tensor].Address)).ToArray();

    private void Launch(Kernel kernel, AcceleratorStream stream, KernelConfig config, object[] arguments, bool clearOutput)
    {
        if (clearOutput)
        {
            _output.Clear(stream);
        }
        kernel.Launch(stream, config, arguments);
    }

    /// <summary>One launch over an output filled with <paramref name="poison"/>, or cleared to zeros when it is null.</summary>
    private float[] RunOnce(Kernel kernel, AcceleratorStream stream, KernelConfig config, object[] arguments, float[]? poison)
    {
        if (poison is not null)
        {
            _output.Upload(poison);
        }
        Launch(kernel, stream, config, arguments, clearOutput: poison is null);
        stream.Synchronize();
        return _output.Download();
    }

    /// <summary>Elements whose bits differ between the runs over the two fills.</summary>
    private static List<int> Unwritten(float[] first, float[] second)
    {
        var unwritten = new List<int>();
        for (var i = 0; i < first.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(first[i]) != BitConverter.SingleToInt32Bits(second[i]))
            {
                unwritten.Add(i);
            }
        }
        return unwritten;
    }

    /// <summary>
    /// Frees the buffers and empties ILGPU's caches of compiled kernels: they
    /// refer to the candidates' methods, which would keep every compiled
    /// assembly loaded for the life of the process.
    /// </summary>
    public void Dispose()
    {
        _device.Accelerator.ClearCache(ClearCacheMode.Everything);
        _device.Context.ClearCache(ClearCacheMode.Everything);
        _output.Dispose();
        foreach (var buffer in _inputs.Concat(_integerByName?.Where(pair => pair.Key != _op.Output.Name).Select(pair => pair.Value) ?? []))
        {
            buffer.Dispose();
        }
    }
}
