import SwitchyardContract

/// The heuristic classifier's vocabulary: words and short phrases that point at a category or at
/// a hard or easy request, with weights. Words are listed in base form; the scanner also tries
/// them without a plural or past-tense ending.
enum HeuristicKeywords {
    static func category(_ category: TaskCategory, _ weight: Float, _ phrases: String) -> [(String, Int8, Float)] {
        phrases.split(separator: ",").map { (String($0.trimmingSpaces()), Int8(category.index), weight) }
    }

    static func marker(_ signal: Int8, _ weight: Float, _ phrases: String) -> [(String, Int8, Float)] {
        phrases.split(separator: ",").map { (String($0.trimmingSpaces()), signal, weight) }
    }

    static let all: [(String, Int8, Float)] = {
        var list: [(String, Int8, Float)] = []
        // Strong, unambiguous task verbs first: the first listing of a phrase wins.
        list += category(
            .summarization, 3,
            "summarize, summarise, summary, summarization, tl dr, tldr, key takeaways, key points, main points, executive summary, recap, condense, in a nutshell, gist"
        )
        list += category(
            .translation, 3,
            "translate, translation, translator, into english, into french, into spanish, into german, into japanese, into chinese, into italian, into portuguese, into korean, to english, to french, to spanish, to german, localize"
        )
        list += category(
            .extraction, 3,
            "extract, extraction, pull out, named entities, entity, as json, into json, json object, structured data, key value, fields, parse out, line items, invoice number"
        )
        list += category(
            .code, 3,
            "function, code, bug, debug, compile, compiler, refactor, stack trace, traceback, segfault, unit test, regex, python, javascript, typescript, java, golang, rust, kotlin, swift code, c program, sql, html, css, react, api endpoint, snippet, script, syntax error, null pointer, exception, repository, git, dockerfile, kubernetes, algorithm, implement, method, class, variable, lambda function, async, recursion, complexity, big o, pull request, linter"
        )
        list += category(
            .math, 3,
            "solve, equation, integral, derivative, calculus, algebra, theorem, proof, probability, eigenvalue, matrix, polynomial, factorial, geometry, triangle, hypotenuse, square root, arithmetic, logarithm, variance, standard deviation, compute the, how much is, the sum of, percent, percentage, fraction, quadratic, prime number, limit of, differential"
        )
        list += category(
            .legal, 3,
            "contract, clause, agreement, liability, indemnify, indemnification, lawsuit, litigation, court, statute, gdpr, hipaa compliance, jurisdiction, plaintiff, defendant, nda, non disclosure, terms of service, terms and conditions, lease, landlord, attorney, lawyer, legal, copyright, trademark, patent, arbitration, warranty, breach, non compete, counsel, subpoena, affidavit, tort, negligence, governing law, legally, enforceable, severability, force majeure, licensor, licensee, employment agreement"
        )
        list += category(
            .medical, 3,
            "patient, diagnosis, diagnose, symptom, treatment, dosage, medication, drug interaction, clinical, disease, physician, prescription, diabetes, cancer, tumor, mri, side effect, therapy, surgery, icd 10, hospital, chronic, infection, vaccine, fever, allergy, cardiac, insulin, radiology, discharge summary, blood pressure, cholesterol, antibiotic, mg, medical, doctor, nurse, pediatric, prognosis, contraindication, hypertension, migraine, asthma"
        )
        list += category(
            .creative, 3,
            "poem, story, haiku, lyrics, song, limerick, fiction, short story, screenplay, slogan, tagline, rhyme, sonnet, fairy tale, bedtime story, character, plot, novel, creative, imagine, fantasy, marketing copy, catchy, jingle, joke, riddle, write a tweet, blog post, product description"
        )
        list += category(
            .chat, 2,
            "hello, hi, hey, thanks, thank you, how are you, good morning, recommend, recommendation, suggest, advice, do you think, opinion, tell me about, chat, help me decide, plan a, ideas for, tips"
        )
        list += category(
            .detection, 3,
            "detect, detection, bounding box, bounding boxes, count the, how many, locate, find all, objects, object detection, label the, annotate, annotation, people in, cars in"
        )
        list += category(
            .visionQA, 2,
            "describe, caption, what is in, what s in, in this image, in the image, in this photo, in the picture, read the text, screenshot, chart, diagram, explain this image"
        )
        // Secondary signals: common words that lean towards a category.
        list += category(
            .extraction, 1.5,
            "list all, invoice, receipt, email addresses, phone numbers, names and, dates, table, csv, form, identify all, fill in"
        )
        list += category(
            .code, 1.5,
            "error, install, deploy, docker, npm, pip, bash, shell, command line, terminal, compile error, database, query, schema, json, yaml, endpoint, server, library, framework"
        )
        list += category(
            .math, 1.5,
            "calculate, sum, average, mean, median, multiply, divide, formula, statistic, statistics, equals")
        list += category(
            .medical, 1.5, "pain, health, dose, heart, blood, pregnancy, anxiety, depression, sleep, nutrition, vitamin"
        )
        list += category(
            .legal, 1.5,
            "law, rights, policy, regulation, regulatory, compliance, liable, sue, claim, tenant, privacy, terms")
        list += category(
            .summarization, 1.5,
            "shorten, brief overview, overview, highlights, bullet points, in one paragraph, in three sentences, few sentences, abstract"
        )
        list += category(
            .translation, 1.5,
            "french, spanish, german, japanese, chinese, italian, portuguese, korean, russian, arabic, hindi, dutch, language"
        )
        list += category(.creative, 1.5, "write a, funny, whimsical, witty, narrative, verse")
        // Difficulty.
        list += marker(
            KeywordTable.hardMarker, 1,
            "prove, step by step, analyze, analyse, analysis, comprehensive, in depth, in detail, detailed, thorough, rigorous, optimize, architecture, derive, edge cases, compare and contrast, trade offs, tradeoffs, implications, risk, evaluate, critique, multi step, design a, distributed, concurrency, differential diagnosis, cross examine, nuanced, precedent"
        )
        list += marker(
            KeywordTable.easyMarker, 1,
            "quick, quickly, simple, short, briefly, one word, one sentence, yes or no, just, hi, hello, thanks")
        return list
    }()

    static let table = KeywordTable(all.map { (phrase: $0.0, signal: $0.1, weight: $0.2) })
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " || s.first == "\n" { s = s.dropFirst() }
        while s.last == " " || s.last == "\n" { s = s.dropLast() }
        return s
    }
}
