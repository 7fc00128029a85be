using System.Net;
using System.Text;

namespace Gensor.Cli.Reporting;

/// <summary>The report's index.html: a section per device and per operator, linking each picture (SVG shown, PNG beside it).</summary>
internal static class ReportPage
{
    /// <summary>One picture: its title and the file names of its SVG and PNG (relative to the page).</summary>
    public sealed record Picture(string Title, string Svg, string Png);

    /// <summary>A group of pictures under a heading, with a line of text.</summary>
    public sealed record Section(string Heading, string Text, IReadOnlyList<Picture> Pictures);

    public static string Html(string title, string intro, IReadOnlyList<Section> sections)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append($"<title>{E(title)}</title>\n");
        html.Append("<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}img{max-width:100%;border:1px solid #ddd}figure{margin:1em 0}</style>\n");
        html.Append("</head>\n<body>\n");
        html.Append($"<h1>{E(title)}</h1>\n<p>{E(intro)}</p>\n<ul>\n");
        // Headings repeat (operators named alike, or one name in several dtypes): each anchor gets its section's number.
        var anchors = sections.Select((section, i) => $"s{i + 1}-{Anchor(section.Heading)}").ToArray();
        foreach (var (section, anchor) in sections.Zip(anchors))
        {
            html.Append($"<li><a href=\"#{anchor}\">{E(section.Heading)}</a></li>\n");
        }
        html.Append("</ul>\n");
        foreach (var (section, anchor) in sections.Zip(anchors))
        {
            html.Append($"<h2 id=\"{anchor}\">{E(section.Heading)}</h2>\n<p>{E(section.Text)}</p>\n");
            foreach (var picture in section.Pictures)
            {
                html.Append($"<figure><a href=\"{E(picture.Svg)}\"><img src=\"{E(picture.Svg)}\" alt=\"{E(picture.Title)}\"></a>");
                html.Append($"<figcaption>{E(picture.Title)} (<a href=\"{E(picture.Svg)}\">SVG</a>, <a href=\"{E(picture.Png)}\">PNG</a>)</figcaption></figure>\n");
            }
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Anchor(string heading) => new(heading.Take(60).Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-').ToArray());
}
