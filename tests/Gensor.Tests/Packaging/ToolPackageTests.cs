using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Gensor.Tests.Packaging;

/// <summary>
/// How src/Gensor.Cli packs as a .NET tool, read from MSBuild's evaluation of the project (packing
/// itself takes a minute and rewrites the build the other tests run): `dotnet pack` makes a
/// ReadyToRun linux-x64 package and a portable one, while a plain build or test asks for no
/// runtime identifier and so stays platform-neutral.
/// </summary>
public sealed class ToolPackageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public void Packing_makes_a_linux_x64_package_and_a_portable_one()
    {
        var properties = Evaluate(["RuntimeIdentifiers", "ToolPackageRuntimeIdentifiers"], "_IsPacking=true");

        Assert.Equal("linux-x64;any", properties["RuntimeIdentifiers"]);
        Assert.Equal("linux-x64;any", properties["ToolPackageRuntimeIdentifiers"]);
    }

    [Fact]
    public void Only_the_linux_x64_package_is_precompiled()
    {
        Assert.Equal("true", Evaluate(["PublishReadyToRun"], "RuntimeIdentifier=linux-x64")["PublishReadyToRun"]);
        Assert.Equal("", Evaluate(["PublishReadyToRun"], "RuntimeIdentifier=any")["PublishReadyToRun"]);
    }

    [Fact]
    public void A_plain_build_asks_for_no_runtime_identifier()
    {
        var properties = Evaluate(["RuntimeIdentifiers", "RuntimeIdentifier", "PublishReadyToRun"]);

        Assert.Equal("", properties["RuntimeIdentifiers"]);
        Assert.Equal("", properties["RuntimeIdentifier"]);
        Assert.Equal("", properties["PublishReadyToRun"]);
    }

    private static Dictionary<string, string> Evaluate(string[] names, params string[] globalProperties)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = Support.Repository.Root() };
        info.ArgumentList.Add("msbuild");
        info.ArgumentList.Add(Path.Combine("src", "Gensor.Cli", "Gensor.Cli.csproj"));
        info.ArgumentList.Add("-nologo");
        foreach (var name in names)
        {
            info.ArgumentList.Add($"-getProperty:{name}");
        }
        foreach (var property in globalProperties)
        {
            info.ArgumentList.Add($"-p:{property}");
        }
        var output = Support.ChildProcess.Run(info, Timeout);
        Assert.True(output.ExitCode == 0, $"dotnet msbuild exited with {output.ExitCode}\n{output.Stdout}\n{output.Stderr}");
        // One property prints as its bare value, several as a JSON object.
        if (names.Length == 1)
        {
            return new Dictionary<string, string> { [names[0]] = output.Stdout.Trim() };
        }
        var json = JsonNode.Parse(output.Stdout)!["Properties"]!;
        return names.ToDictionary(name => name, name => (string?)json[name] ?? "");
    }
}
