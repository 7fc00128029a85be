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
    private readonly Option<string?> _dtype = CommonOptions.Dtype();

    public void AddTo(Command command)
    {
        command.Arguments.Add(_spec);
        command.Options.Add(_compute);
        command.Options.Add(_shape);
        command.Options.Add(_name);
        command.Options.Add(_epilogue);
        command.Options.Add(_dtype);
    }

    public Operator Read(ParseResult parse)
    {
        var spec = ReadSpec(parse);
        var dtype = CommonOptions.ParseDtype(parse.GetValue(_dtype));
        return OperatorBuilder.Build(dtype is null ? spec : spec with { Dtype = dtype });
    }

    private OperatorSpec ReadSpec(ParseResult parse)
    {
        var path = parse.GetValue(_spec);
        var compute = parse.GetValue(_compute);
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
            var shape = parse.GetValue(_shape) ?? throw GensorException.BadInput("--compute needs --shape with the extent of every index variable");
            return SpecReader.FromInline(compute, shape, parse.GetValue(_name), parse.GetValue(_epilogue));
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
        return specs[0];
    }
}
