using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace FedLlm.Evaluation.Reporting.Html;

/// <summary>
/// The Markdown FedLlm's reports are written in, as HTML: ATX headings, paragraphs, pipe tables (with the separator
/// row's alignment), "- " lists, images on a line of their own, and inline **bold**, `code` and [links](url). Everything
/// else is text, HTML-escaped. Reports are made by FedLlm, so this subset is all they use; it is no general Markdown parser.
/// </summary>
public static partial class MarkdownHtml
{
    /// <param name="image">Turns an image line (alt, source) into HTML; by default an &lt;img&gt;.</param>
    public static string ToHtml(string markdown, Func<string, string, string>? image = null)
    {
        image ??= (alt, source) => $"<img alt=\"{Escape(alt)}\" src=\"{Escape(source)}\">";
        var html = new StringBuilder();
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var paragraph = new List<string>();
        void Flush()
        {
            if (paragraph.Count == 0) return;
            html.Append("<p>").Append(Inline(string.Join(" ", paragraph))).Append("</p>\n");
            paragraph.Clear();
        }
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].TrimEnd();
            if (line.Length == 0)
            {
                Flush();
                continue;
            }
            if (Heading().Match(line) is { Success: true } heading)
            {
                Flush();
                int level = heading.Groups[1].Length;
                html.Append(System.Globalization.CultureInfo.InvariantCulture, $"<h{level}>{Inline(heading.Groups[2].Value)}</h{level}>\n");
            }
            else if (ImageLine().Match(line) is { Success: true } picture)
            {
                Flush();
                html.Append(image(picture.Groups[1].Value, picture.Groups[2].Value)).Append('\n');
            }
            else if (line.StartsWith('|'))
            {
                Flush();
                int end = i;
                while (end < lines.Length && lines[end].TrimStart().StartsWith('|')) end++;
                html.Append(Table(lines[i..end]));
                i = end - 1;
            }
            else if (line.StartsWith("- ", StringComparison.Ordinal))
            {
                Flush();
                html.Append("<ul>\n");
                while (i < lines.Length && lines[i].StartsWith("- ", StringComparison.Ordinal)) html.Append("<li>").Append(Inline(lines[i++][2..])).Append("</li>\n");
                html.Append("</ul>\n");
                i--;
            }
            else paragraph.Add(line);
        }
        Flush();
        return html.ToString();
    }

    public static string Escape(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Inline markup of one line: escaped text with bold, code and links.</summary>
    public static string Inline(string text)
    {
        var result = new StringBuilder();
        int at = 0;
        foreach (Match code in Code().Matches(text))
        {
            result.Append(Styled(text[at..code.Index])).Append("<code>").Append(Escape(code.Groups[1].Value)).Append("</code>");
            at = code.Index + code.Length;
        }
        return result.Append(Styled(text[at..])).ToString();
    }

    private static string Styled(string text)
    {
        string escaped = Escape(text.Replace("\\|", "|", StringComparison.Ordinal));
        escaped = Bold().Replace(escaped, "<strong>$1</strong>");
        return Link().Replace(escaped, m => $"<a href=\"{m.Groups[2].Value}\">{m.Groups[1].Value}</a>");
    }

    private static string Table(string[] rows)
    {
        var cells = rows.Select(Cells).ToList();
        bool hasSeparator = cells.Count > 1 && cells[1].All(c => Separator().IsMatch(c));
        var align = hasSeparator
            ? cells[1].Select(c => c.EndsWith(':') ? (c.StartsWith(':') ? "center" : "right") : "left").ToList()
            : [];
        var html = new StringBuilder("<div class=\"table\"><table>\n");
        for (int r = 0; r < cells.Count; r++)
        {
            if (hasSeparator && r == 1) continue;
            bool header = hasSeparator && r == 0;
            string tag = header ? "th" : "td";
            html.Append("<tr>");
            for (int c = 0; c < cells[r].Count; c++)
            {
                string style = c < align.Count && align[c] != "left" ? $" style=\"text-align:{align[c]}\"" : "";
                html.Append('<').Append(tag).Append(style).Append('>').Append(Inline(cells[r][c])).Append("</").Append(tag).Append('>');
            }
            html.Append("</tr>\n");
        }
        return html.Append("</table></div>\n").ToString();
    }

    /// <summary>The cells of a table row; "\|" is a pipe inside a cell.</summary>
    private static List<string> Cells(string row)
    {
        string inner = row.Trim();
        if (inner.StartsWith('|')) inner = inner[1..];
        if (inner.EndsWith('|') && !inner.EndsWith("\\|", StringComparison.Ordinal)) inner = inner[..^1];
        return [.. CellSplit().Split(inner).Select(c => c.Trim())];
    }

    [GeneratedRegex(@"^(#{1,6})\s+(.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^!\[([^\]]*)\]\(([^)]+)\)$")]
    private static partial Regex ImageLine();

    [GeneratedRegex(@"^:?-{3,}:?$")]
    private static partial Regex Separator();

    [GeneratedRegex(@"(?<!\\)\|")]
    private static partial Regex CellSplit();

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Code();

    [GeneratedRegex(@"\*\*(.+?)\*\*")]
    private static partial Regex Bold();

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)\)")]
    private static partial Regex Link();
}
