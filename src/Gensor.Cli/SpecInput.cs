using System.CommandLine;
using Gensor.Diagnostics;
using Gensor.Etir;
using Gensor.FrontEnd;

namespace Gensor.Cli;

/// <summary>Reads the one operator a command works on, from a spec file or from --compute/--shape.</summary>
internal sealed class SpecInput
{
    private readonly Argument<string?> _spec = CommonOptions.Spec();
    private readonly Option<string?> _compute = CommonOptions.Compute();
    private readonly Option<string?> _shape = CommonOptions.Shape();
    private readonly Option<string?> _name = CommonOptions.Name();
    private readonly Option<string?> _epilogue = CommonOptions.Epilogue();

    public void AddTo(Command command)
    {
        command.Arguments.Add(_spec);
        command.Options.Add(_compute);
        command.Options.Add(_shape);
        command.Options.Add(_name);
        command.Options.Add(_epilogue);
    }

    /// <summary>
    /// The operator. Next to a spec file, <c>--shape</c>, <c>--name</c> and
    /// <c>--epilogue</c> override the file's values, and each override is noted
    /// on stderr, so nothing given on the command line is silently dropped.
    /// </summary>
    public Operator Read(ParseResult parse, CliContext cli)
    {
        var path = parse.GetValue(_spec);
        var compute = parse.GetValue(_compute);
        var shape = parse.GetValue(_shape);
        var name = parse.GetValue(_name);
        var epilogue = parse.GetValue(_epilogue);
        if (path is not null && path.StartsWith('-'))
        {
            // System.CommandLine hands an unknown option to the optional SPEC argument.
            throw GensorException.BadInput($"unknown option '{path}'");
        }
        if (path is not null && compute is not null)
        {
            throw GensorException.BadInput("give either a SPEC file or --compute, not both");
        }
        if (compute is not null)
        {
            shape = shape ?? throw GensorException.BadInput("--compute needs --shape with the extent of every index variable");
            return OperatorBuilder.Build(SpecReader.FromInline(compute, shape, name, epilogue));
        }
        if (path is null)
        {
            throw GensorException.BadInput("no operator given: pass a SPEC file or --compute with --shape");
        }
        var specs = SpecReader.ReadFile(path);
        if (specs.Count != 1)
        {
            throw GensorException.BadInput($"{path}: is a suite of {specs.Count} operators; this command takes one (use `gensor batch` for suites)");
        }
        var spec = specs[0];
        var notes = new List<string>();
        if (shape is not null)
        {
            var given = SpecReader.ParseShape(shape);
            var merged = new Dictionary<string, long>(spec.Shape);
            foreach (var (axis, extent) in given)
            {
                notes.Add(spec.Shape.TryGetValue(axis, out var old) ? $"--shape sets {axis}={extent} (the spec has {axis}={old})" : $"--shape adds {axis}={extent}");
                merged[axis] = extent;
            }
            spec = spec with { Shape = merged };
        }
        if (name is not null)
        {
            notes.Add($"--name '{name}' replaces the spec's name '{spec.Name}'");
            spec = spec with { Name = name };
        }
        if (epilogue is not null)
        {
            notes.Add(spec.Epilogue is null ? $"--epilogue adds {epilogue}" : $"--epilogue {epilogue} replaces the spec's {spec.Epilogue}");
            spec = spec with { Epilogue = epilogue };
        }
        var op = OperatorBuilder.Build(spec);
        // Notes only once the overridden spec builds: bad input stays one error line.
        foreach (var note in notes)
        {
            cli.Error.WriteLine($"note: {path}: {note}");
        }
        return op;
    }
}
