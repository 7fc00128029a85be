namespace Gensor.Files;

/// <summary>Where writing to a path a user names really lands.</summary>
public static class OutputPath
{
    /// <summary>
    /// The file a write to <paramref name="path"/> lands in: a symbolic link's final target, as a
    /// shell's redirection writes it. Replacing by rename onto the link itself would swap the link
    /// for a file and leave its target old; a lock beside the link would not be the target's.
    /// </summary>
    public static string ThroughLinks(string path)
    {
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Not there yet (the usual case for an output), or not readable: the write itself will say.
            return path;
        }
    }
}
