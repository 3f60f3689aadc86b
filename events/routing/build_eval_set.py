#!/usr/bin/env python3
"""Builds events/routing/eval.jsonl: labelled routing cases for scripts/eval-router.

Each case is a router event plus `expected_category` (a person's label) and
`acceptable_models` (models a person would accept for that category on that tier, judged from
the catalog, not from the router's output). Tenants rotate over the three tiers.
Run: python3 events/routing/build_eval_set.py > events/routing/eval.jsonl
"""
import json

PROMPTS = {
    "chat": [
        "Hi! Can you recommend a couple of sci-fi novels for a long flight?",
        "Good morning! Any tips for staying focused when working from home?",
        "What do you think is the best way to spend a rainy Sunday?",
        "Hey, I'm bored. Tell me something interesting about octopuses.",
        "Can you suggest a few names for a golden retriever puppy?",
        "Thanks for the help yesterday! One more thing: how do I politely decline a meeting?",
        "I need advice on choosing between two job offers, one remote and one in the office.",
        "Recommend a board game for six people who don't like long rules.",
        "Plan a relaxed three-day trip to Lisbon for a couple who love food.",
        "How are you today? I just wanted to chat a bit.",
        "Give me some ideas for a 10-year-old's birthday party at home.",
        "What should I cook tonight with eggs, spinach and some leftover rice?",
        "Help me decide: should I learn guitar or piano as an adult beginner?",
        "Any tips for sleeping better on a red-eye flight?",
        "Suggest a weekly routine for someone starting to run again.",
        "What's a good gift for a coworker who is retiring?",
        "Hello there, can you tell me about the history of the bicycle?",
        "I'm moving to a new city next month. Tips for making friends?",
        "Recommend three podcasts about space exploration.",
        "Hey, what's a fun fact I can share at dinner tonight?",
    ],
    "code": [
        "Write a Python function that parses ISO 8601 dates and returns a datetime, with unit tests.",
        "Why does this JavaScript code print undefined? `const f = () => { let x; return x?.y; }`",
        "Refactor this Java class to use dependency injection instead of static singletons.",
        "```go\nfunc main() { var m map[string]int; m[\"a\"] = 1 }\n```\nWhy does this panic?",
        "Write a SQL query that returns the top 5 customers by revenue for each month.",
        "Implement a thread-safe LRU cache in Rust with a fixed capacity.",
        "My Docker build fails with 'no space left on device'. How do I debug it?",
        "Write a bash script that renames all .jpeg files in a folder to .jpg.",
        "Explain the time complexity of quicksort and when it degrades to O(n^2).",
        "Convert this Python 2 print statement code to Python 3: print 'hello', name",
        "How do I fix 'TypeError: cannot read properties of null' in my React component?",
        "Write a regex that matches US ZIP codes with an optional four-digit extension.",
        "Design a REST API endpoint for uploading files in chunks, with resumable uploads.",
        "Write unit tests in pytest for a function that computes shipping cost by weight.",
        "What's the difference between async/await and threads in Swift concurrency?",
        "My Kubernetes pod is stuck in CrashLoopBackOff; here's the traceback from the logs: ImportError: no module named yaml",
        "Write a TypeScript type that makes all nested properties of an object optional.",
        "Implement binary search on a sorted array of integers in C and handle edge cases.",
        "Review this pull request diff and point out bugs: `for i in range(len(xs)): xs.remove(xs[i])`",
        "Write a GitHub Actions workflow that runs swift test on every push.",
    ],
    "summarization": [
        "Summarize the following article in three bullet points: The city council met on Tuesday to debate the new bike lane plan, which would remove 200 parking spaces downtown. Business owners objected, while cycling groups presented data showing increased foot traffic in other cities.",
        "Give me a TL;DR of this thread: the team discussed moving the release to next week because QA found two blocking bugs in the payment flow and the vendor API is unstable.",
        "Summarise these meeting notes for the executives: Q3 revenue up 12%, churn flat, hiring freeze continues, new pricing launches in January.",
        "Condense this product description into one sentence: The X200 vacuum has a 90-minute battery, HEPA filter, three suction modes, and a self-emptying dock that holds 60 days of dust.",
        "What are the key points of this email? Hi all, the office will close early Friday for maintenance; please save your work, badge access will be off until Monday 8am.",
        "Summarize this research abstract for a general audience: We present a method for low-latency inference of transformer models on edge devices using 4-bit quantization and operator fusion.",
        "Recap the plot of Hamlet in a few sentences.",
        "Write an executive summary of this quarterly report: revenue grew in EMEA, declined in APAC, operating costs fell 5%, and the cloud segment became profitable.",
        "Summarize the customer feedback below into main themes: slow shipping, great packaging, app crashes on login, helpful support chat.",
        "Give me the gist of this news story: a storm knocked out power for 40,000 homes; crews expect full restoration by Thursday.",
        "Please summarize this long Slack discussion about whether to migrate from Postgres to a managed service.",
        "Summarize chapter one of the attached book in bullet points.",
        "Create a short summary of these interview notes with the candidate for the data engineer role.",
        "Can you shorten this paragraph to under 50 words while keeping the meaning?",
        "Summarize the main points of the following lecture transcript on climate feedback loops.",
        "TL;DR this blog post about remote work productivity.",
        "Provide a brief overview of the key takeaways from this podcast episode transcript.",
        "Summarize the following support ticket history so the next agent can pick it up quickly.",
        "Summarize this earnings call transcript in five bullet points for investors.",
        "Summarize the findings of this user study: participants completed tasks 20% faster with the new navigation.",
    ],
    "extraction": [
        "Extract the invoice number, total amount and due date from this text as JSON: Invoice #4411, total $1,240.50, due 2026-12-01.",
        "Pull out all email addresses and phone numbers from the following contact list.",
        "From this resume, extract the candidate's name, years of experience and programming languages as JSON.",
        "Extract every date mentioned in this paragraph and return them in ISO format.",
        "Parse out the line items (product, quantity, unit price) from this receipt text.",
        "Identify all named entities (people, organizations, locations) in this news article.",
        "Extract the shipping address fields (street, city, postal code, country) from this email into a JSON object.",
        "From the following job posting, extract salary range, location and required skills as structured data.",
        "List all the product names and prices mentioned in this catalog page as a table.",
        "Extract the key value pairs from this form: Name: Ana Ruiz; DOB: 1990-04-02; Policy: P-2231.",
        "Get the flight number, departure time and gate from this boarding pass text.",
        "Extract all URLs from the following markdown document.",
        "Turn this messy order note into JSON fields: customer, items, delivery date, special instructions.",
        "Extract the table of contents headings from this document.",
        "Find and extract all monetary amounts with their currency from this financial statement.",
        "Extract the sender, subject and action items from each of these emails.",
        "From this log file, extract the timestamps and error codes of failed requests as CSV.",
        "Extract the ingredients and quantities from this recipe as a JSON list.",
        "Pull out the names of all speakers and their titles from this conference agenda.",
        "Extract author, title, year and DOI from these citations.",
    ],
    "translation": [
        "Translate this paragraph into French: The meeting is postponed until next week because of the holiday.",
        "How do you say 'Where is the train station?' in Japanese?",
        "Translate the following product description to Spanish for our Mexican store.",
        "Please translate this email into German, keeping a formal tone.",
        "Translate 'Thank you for your patience' into Italian, Portuguese and Korean.",
        "Can you translate this restaurant menu from Italian to English?",
        "Translate this customer complaint from Portuguese into English: O produto chegou quebrado e ninguém respondeu.",
        "Translate these UI strings into Chinese (Simplified): Save, Cancel, Delete account, Are you sure?",
        "Localize this marketing headline for a French audience: 'Work smarter, not harder.'",
        "Translate the following legal disclaimer into Dutch.",
        "Übersetze bitte ins Englische: Wir haben Ihre Bestellung erhalten und versenden sie morgen.",
        "Translate this tweet into Arabic.",
        "Translate this paragraph into Russian and keep the technical terms in English.",
        "Translate to Hindi: The clinic opens at nine and closes at five.",
        "What's the English translation of 'más vale tarde que nunca'?",
        "Translate these subtitles from Korean into English.",
        "Translate the following onboarding checklist into Spanish.",
        "Translate this short poem from French into English, preserving the rhyme if possible.",
        "Please translate the attached letter into Japanese.",
        "Translate 'out of office until Monday' into German and French.",
    ],
    "creative": [
        "Write a short poem about autumn leaves and a lonely lighthouse.",
        "Write a bedtime story about a dragon who is afraid of the dark.",
        "Come up with a catchy slogan for a coffee shop that opens at 5am.",
        "Write a haiku about the first snow in the city.",
        "Write song lyrics about driving home after a long summer.",
        "Write a limerick about a cat who learned to code.",
        "Draft a short story opening set on a generation ship that has lost its map.",
        "Write a funny product description for socks that never match.",
        "Create a tagline for an eco-friendly water bottle brand.",
        "Write a sonnet about the ocean at night.",
        "Write a screenplay scene where two old friends meet at a train station after twenty years.",
        "Imagine a fantasy world where music is currency; describe its capital city.",
        "Write marketing copy for the launch of a meditation app.",
        "Write a whimsical fairy tale about a clock that runs backwards.",
        "Write a joke about a programmer at the beach.",
        "Write a blog post intro about the joy of baking sourdough.",
        "Write a riddle whose answer is 'a shadow'.",
        "Write a short narrative poem about a lighthouse keeper's last night.",
        "Write a jingle for a neighborhood bakery.",
        "Create a character backstory for a retired detective who now grows orchids.",
    ],
    "math": [
        "Solve the equation 3x + 7 = 22 and explain each step.",
        "What is the derivative of x^3 * sin(x)?",
        "Compute the integral of 1/(1+x^2) from 0 to 1.",
        "A train travels 120 km in 1.5 hours. What is its average speed?",
        "What is the probability of rolling two sixes with two fair dice?",
        "Find the eigenvalues of the matrix [[2, 1], [1, 2]].",
        "Prove that the square root of 2 is irrational.",
        "Calculate 15% of 240 and then add 12.",
        "Solve the quadratic equation x^2 - 5x + 6 = 0.",
        "What is the sum of the first 100 positive integers?",
        "Compute the standard deviation of 2, 4, 4, 4, 5, 5, 7, 9.",
        "If a triangle has sides 3 and 4 and a right angle between them, what is the hypotenuse?",
        "Simplify the fraction 84/126.",
        "Find the limit of (sin x)/x as x approaches 0.",
        "How many ways can 5 people sit around a round table? Show the factorial reasoning.",
        "Solve the system: 2x + y = 7, x - y = 2.",
        "What is log base 2 of 1024?",
        "Compute the variance of a fair six-sided die roll.",
        "Is 221 a prime number? Show your check.",
        "Differentiate f(x) = e^(2x) * ln(x) and find f'(1).",
    ],
    "legal": [
        "Review this NDA clause: the receiving party shall indemnify the disclosing party for any breach, without limitation.",
        "Is a non-compete clause of two years enforceable for a software engineer in California?",
        "Explain the difference between a warranty and an indemnification in a services agreement.",
        "My landlord kept my security deposit without listing damages. What are my rights under the lease?",
        "Draft a force majeure clause for a supply contract covering pandemics and cyberattacks.",
        "What does 'governing law and jurisdiction' mean in this terms of service?",
        "Does our privacy policy comply with GDPR if we store EU customer data in the US?",
        "Analyze the liability cap in this master services agreement and flag risks for the licensee.",
        "Can I use a trademarked name in a product review without permission?",
        "What is the statute of limitations for breach of contract in New York?",
        "Compare arbitration and litigation for resolving disputes with suppliers.",
        "Explain what a severability clause does in a contract.",
        "We received a subpoena for customer records. What should our counsel check first?",
        "Is this copyright license transferable to an acquirer under the agreement's assignment clause?",
        "What are the legal risks of using open-source code under the GPL in a commercial product?",
        "Draft an affidavit template confirming a lost original document.",
        "Review the termination clause in this employment agreement for fairness to the employee.",
        "What constitutes negligence in a slip-and-fall lawsuit at a retail store?",
        "Explain the patent infringement risk of shipping a feature similar to a competitor's patented method.",
        "Summarize the obligations of the licensor under this software license agreement.",
    ],
    "medical": [
        "The patient has a fever of 39C, chronic cough and takes 20 mg of lisinopril. What could the diagnosis be?",
        "What are common side effects of metformin for type 2 diabetes?",
        "Explain the difference between type 1 and type 2 diabetes to a newly diagnosed patient.",
        "Is it safe to take ibuprofen with an antibiotic like amoxicillin?",
        "What dosage of acetaminophen is safe for an adult per day?",
        "Draft a discharge summary for a patient treated for community-acquired pneumonia.",
        "What symptoms suggest a migraine versus a tension headache?",
        "Explain MRI findings of a small meniscus tear in plain language for the patient.",
        "What are the contraindications of beta blockers in asthma patients?",
        "How should blood pressure of 150/95 be managed in a 55-year-old with no other conditions?",
        "Give a differential diagnosis for chest pain with shortness of breath in a 60-year-old smoker.",
        "What vaccines are recommended for adults over 65?",
        "Explain the prognosis of early-stage breast cancer treated with surgery and radiation.",
        "What are the warning signs of a severe allergic reaction in children?",
        "How does insulin therapy change when a diabetic patient has an infection?",
        "Summarize the clinical guidelines for treating hypertension in pregnancy.",
        "What lifestyle changes help lower cholesterol without medication?",
        "The radiology report mentions a 4 mm pulmonary nodule. What follow-up is typical?",
        "What are pediatric dosing considerations for amoxicillin?",
        "Explain chronic kidney disease stages to a patient's family.",
    ],
}

VISION_QA = [
    "What is happening in this picture?", "Describe this image for a visually impaired user.",
    "Read the text on this street sign.", "What does this chart show about monthly sales?",
    "Is anyone in this photo not wearing a helmet?", "What breed is the dog in this image?",
    "Explain this diagram of the network architecture.", "What's written on the whiteboard in this photo?",
    "Caption this image for an Instagram post.", "What is wrong with the wiring in this picture?",
    "Describe the mood of this painting.", "What food is on this plate and roughly how many calories?",
    "Summarize the error shown in this screenshot.", "Which room of the house is this?",
    "What brand is the laptop in this photo?",
]
DETECTION = [
    "", "Detect all cars in this parking lot image.", "Count the people in this photo.",
    "Draw bounding boxes around every bicycle.", "How many trucks are in this image?",
    "Locate all dogs in the picture.", "Find all traffic lights and return bounding boxes.",
    "Detect objects in this frame.", "", "Count the cars in this image.",
    "Label the objects in this warehouse photo.", "Detect people and backpacks.", "", "Find all boats in this harbor image.",
    "Object detection on this image please.",
]

BASIC = ["gpt-4o-mini", "gpt-3.5-turbo", "claude-3-haiku", "bedrock-mistral-7b"]
PRO_EXTRA = ["gpt-4o", "gpt-4.1", "claude-3-5-sonnet", "claude-3-5-haiku", "bedrock-llama3-70b"]
ACCEPT = {
    "basic": {
        "chat": BASIC, "summarization": BASIC, "creative": BASIC, "extraction": BASIC, "translation": BASIC,
        "code": ["gpt-4o-mini", "claude-3-haiku", "gpt-3.5-turbo"],
        "math": ["gpt-4o-mini", "claude-3-haiku", "gpt-3.5-turbo"],
        "legal": ["gpt-4o-mini"], "medical": ["gpt-4o-mini"],
        "vision-qa": ["gpt-4o-mini", "claude-3-haiku"], "detection": ["yolov8n-lambda"],
    },
    "pro": {
        "chat": BASIC + PRO_EXTRA, "summarization": BASIC + PRO_EXTRA, "creative": BASIC + PRO_EXTRA,
        "extraction": BASIC + PRO_EXTRA, "translation": BASIC + PRO_EXTRA,
        "code": ["gpt-4o-mini", "claude-3-haiku", "gpt-3.5-turbo", "claude-3-5-haiku", "claude-3-5-sonnet", "gpt-4.1", "gpt-4o"],
        "math": ["gpt-4o-mini", "claude-3-5-haiku", "claude-3-5-sonnet", "gpt-4.1", "gpt-4o"],
        "legal": ["claude-3-5-sonnet", "gpt-4o", "gpt-4.1"], "medical": ["claude-3-5-sonnet", "gpt-4o", "gpt-4.1"],
        "vision-qa": ["gpt-4o-mini", "claude-3-haiku", "gpt-4o", "gpt-4.1", "claude-3-5-sonnet"],
        "detection": ["yolov8n-sagemaker", "yolov8s-sagemaker", "yolov8n-lambda"],
    },
}
ACCEPT["enterprise"] = {k: v + (["claude-3-opus"] if k in ("legal", "medical", "creative", "summarization", "chat", "translation") else [])
                        for k, v in ACCEPT["pro"].items()}
TENANTS = {"basic": ["acme-startup"], "pro": ["lexcorp-legal", "globex-health"], "enterprise": ["initech", "umbrella-labs"]}
TIERS = ["basic", "pro", "enterprise"]


def main():
    n = 0
    cases = []
    for category, prompts in PROMPTS.items():
        for i, prompt in enumerate(prompts):
            cases.append((category, {"prompt": prompt}))
    for i, q in enumerate(VISION_QA):
        cases.append(("vision-qa", {"prompt": q, "images": [{"url": f"s3://switchyard-eval/vqa/{i:03d}.jpg"}]}))
    for i, q in enumerate(DETECTION):
        event = {"images": [{"url": f"s3://switchyard-eval/det/{i:03d}.jpg"}]}
        if q:
            event["prompt"] = q
        cases.append(("detection", event))
    for category, event in cases:
        tier = TIERS[n % 3]
        tenants = TENANTS[tier]
        tenant = tenants[(n // 3) % len(tenants)]
        record = {"id": f"eval-{n:03d}", "request_id": f"eval-{n:03d}", "tenant_id": tenant, **event,
                  "expected_category": category, "tier": tier, "acceptable_models": ACCEPT[tier][category]}
        print(json.dumps(record, ensure_ascii=False))
        n += 1


if __name__ == "__main__":
    main()
