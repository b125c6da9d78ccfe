using FedLlm.Evaluation.Reporting.Html;

namespace FedLlm.Tests.Evaluation;

public class HtmlReportTests
{
    [Fact]
    public void ReportMarkdownBecomesEscapedHtmlWithAlignedTablesAndChartsInPlaceOfTheirImages()
    {
        string markdown = """
            # Title <script>

            Some **bold** and `code` text.

            | name | value |
            |---|---:|
            | a \| b | **1.0** |

            ![Loss](loss.png)

            - first
            - second
            """;
        var chart = ReportChart.Lines("loss.png", "Loss", "round", "loss", [new ChartSeries("train", [1, 2], [0.5, double.NaN])]);
        string page = HtmlReport.Render("T", markdown, [chart, ReportChart.Bars("extra", "Extra", "x", "y", ["c"], [new ChartSeries("s", [0], [1])])], null, null);
        Assert.Contains("<h1>Title &lt;script&gt;</h1>", page);
        Assert.Contains("<strong>bold</strong>", page);
        Assert.Contains("<code>code</code>", page);
        Assert.Contains("<td>a | b</td><td style=\"text-align:right\"><strong>1.0</strong></td>", page);
        Assert.Contains("<figure class=\"chart\" data-chart=\"loss.png\"></figure>", page);
        // A chart no image names comes after the body; NaN survives as a named literal the script reads.
        Assert.Contains("<h2>Charts</h2>", page);
        Assert.Contains("\"NaN\"", page);
        Assert.Contains("<li>second</li>", page);
    }
}
